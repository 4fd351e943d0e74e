package cli

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/alecthomas/kong"
	"github.com/hashicorp/go-hclog"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/server"
	"github.com/daemonkit/daemonkit/supervisor"
)

// UnitCmd prints a systemd unit that runs the instance start would run, one step up: in
// the foreground under systemd (Type=notify), which then does the supervising.
type UnitCmd struct {
	StartOptions // not -d: systemd runs the instance in the foreground
}

// Run prints the unit to stdout.
func (c *UnitCmd) Run(app *App, kctx *kong.Context) error {
	if len(c.Command) > 0 && (c.Command[0] == "-d" || c.Command[0] == "--detach") {
		return withCode(exitUsage, fmt.Errorf("unit takes start's options but not -d: systemd runs %s in the foreground", app.Config.Name))
	}
	typed := len(c.Command) // the command line's last words, with or without --
	var err error
	if c.Command, err = takeCommand(app, c.Command, "unit"); err != nil {
		return err
	}
	if err := c.ProcessFlags.checkValues(); err != nil { // not check: the unit runs as root
		return withCode(exitUsage, err)
	}
	if err := absProgram(c.Command, c.Workdir); err != nil { // systemd runs it from /, as start -d would
		return withCode(exitUsage, err)
	}
	if len(c.Command) > 0 && !strings.Contains(c.Command[0], "/") {
		// Found now, in the PATH the work will have (this shell's, unless --env,
		// --env-file or --clear-env say otherwise): systemd's is its own
		// (/usr/local/sbin:...:/usr/bin), where a program of /opt or ~/bin would not be.
		env, err := c.ProcessFlags.environ()
		if err != nil {
			return withCode(exitUsage, err)
		}
		pathList, _ := envLookup(env, "PATH")
		path, err := lookPathIn(c.Command[0], pathList)
		if err != nil {
			return withCode(exitUsage, fmt.Errorf("program %s: %w (give its absolute path)", c.Command[0], err))
		}
		if c.Command[0], err = filepath.Abs(path); err != nil {
			return withCode(exitUsage, err)
		}
	}
	if err := c.checkSupervise(true); err != nil {
		return withCode(exitUsage, err)
	}
	if err := c.absChecks(func(msg string) { app.say(app.Config.Stderr, hclog.Warn, "warning: ", msg) }); err != nil {
		return withCode(exitUsage, err)
	}
	if err := c.checkSignalClash(false); err != nil { // a unit runs start in the foreground: no strategy
		return withCode(exitUsage, err)
	}
	if c.Workdir != "" {
		if fi, err := os.Stat(c.Workdir); err != nil || !fi.IsDir() {
			app.say(app.Config.Stderr, hclog.Warn, "warning: ", fmt.Sprintf("--workdir %s is not a directory here: the unit fails to start until it is", c.Workdir))
		}
	}
	fromCommand := len(c.Command) > 0 && c.Name == "" && c.PIDFile == ""
	if fromCommand {
		c.Name = filepath.Base(c.Command[0])
	}
	name := c.Name
	switch {
	case name == "" && c.PIDFile != "":
		name = strings.TrimSuffix(filepath.Base(c.PIDFile), ".pid") // as start names it
	case name == "":
		name = app.Config.DefaultName
	}
	if err := instance.ValidateNewName(name); err != nil && fromCommand {
		return withCode(exitUsage, fmt.Errorf("%w: give --name", err))
	} else if err != nil {
		return withCode(exitUsage, err)
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	if err := c.checkUnitUser(app, exe, name); err != nil {
		return withCode(exitUsage, err)
	}
	if strings.Contains(exe, string(filepath.Separator)+"go-build") {
		app.say(app.Config.Stderr, hclog.Warn, "warning: ", fmt.Sprintf("ExecStart names %s, go run's temporary build, which is gone once it ends: build the program (go build) and run its unit command", exe))
	}
	own, args, ownAfter, err := unitArgs(os.Args[1:], typed, c.Command, name, c.User != "", programRootFlags(kctx.Model))
	if err != nil {
		return withCode(exitUsage, err)
	}
	args = withValue(withValue(args, "--ready", c.Ready), "--reload-check", c.ReloadCheck) // absChecks' absolute paths
	if c.User != "" && typedStateDir(os.Args[1:]) {
		return withCode(exitUsage, fmt.Errorf("--state-dir with --user: a unit run as user %s keeps its state in /run/%s/%s, which systemd makes for it (RuntimeDirectory=), since it may not write yours: leave --state-dir out",
			c.User, app.Config.Name, name))
	}
	var runtimeDir string
	if c.User != "" {
		// systemd runs the whole service as the user (User=), in a state directory it makes
		// for it (RuntimeDirectory=), which both ExecStart and ExecReload name.
		runtimeDir = app.Config.Name + "/" + name
	}
	// The global options as parsed, from flags or the environment (a unit has neither
	// the caller's environment nor its directory).
	var globals []string
	if g := app.Globals; g != nil {
		if g.StateDir != "" && c.User == "" {
			globals = append(globals, "--state-dir", mustAbs(g.StateDir))
		}
		if g.LogDir != "" {
			globals = append(globals, "--log-dir", mustAbs(g.LogDir))
		}
		if g.LogLevel != "info" {
			globals = append(globals, "--log-level", g.LogLevel)
		}
		if g.LogFormat != "text" {
			globals = append(globals, "--log-format", g.LogFormat)
		}
	}
	if err := c.checkUnitPIDFile(app, name, runtimeDir); err != nil {
		return withCode(exitUsage, err)
	}
	if err := c.checkUnitSockets(app, name, runtimeDir); err != nil {
		return withCode(exitUsage, err)
	}
	var reloadGlobals []string // ExecReload's: where the instance is
	switch {
	case runtimeDir != "":
		globals = append([]string{"--state-dir", "/run/" + runtimeDir}, globals...)
		reloadGlobals = []string{"--state-dir", "/run/" + runtimeDir}
	case app.Globals.StateDir != "":
		reloadGlobals = []string{"--state-dir", mustAbs(app.Globals.StateDir)}
	}
	u := unit{
		Description:  fmt.Sprintf("%s instance %s", app.Config.Name, name),
		ExecStart:    commandLine(exe, own, "start", globals, args),
		ExecReload:   commandLine(exe, own, "reload", reloadGlobals, append(append([]string{"--name", name}, pidfileArgs(c.PIDFile)...), ownAfter...)),
		Restart:      c.Restart,
		RestartDelay: c.RestartDelay,
		Burst:        c.MaxRestarts,
		Interval:     c.MinUptime,
		StopTimeout:  c.ShutdownTimeout + server.KillGrace,      // TimeoutStopSec covers the kill of what is left too
		StartTimeout: c.ReadyTimeout + server.ManagerStartGrace, // daemonkit fails the start itself first, saying why
		User:         c.User,
		Group:        c.Group,
		RuntimeDir:   runtimeDir,
		Umask:        int(c.Umask),
	}
	if len(c.Command) > 0 {
		u.StopSignal, _ = stopSignal(c.StopSignal) // checked by checkSupervise
	}
	if c.User != "" {
		// The service runs as the user, who may not raise a niceness or a hard limit: systemd
		// sets them, as root, before it drops to User=.
		u.Nice = int(c.Nice)
		if c.LimitNofile > unitSoftNofile {
			u.LimitNofile = c.LimitNofile // daemonkit's exec step sets the program's within it
		}
		u.LowPorts = lowSocketPorts(c.Socket)
	}
	if len(c.Command) > 0 {
		u.Description += " (" + strings.Join(c.Command, " ") + ")"
	}
	return u.write(app.Stdout)
}

// commandLine is a unit's command line: the program, its own arguments (those it was given
// before the command, which a program with its own flags parses, and a Kong program may
// require of every command), the command, and daemonkit's global flags after the command
// word, where every way of embedding it takes them (a program parsing its own flags with
// the flag package stops at a flag it does not know).
func commandLine(exe string, own []string, command string, globals, args []string) []string {
	line := append(append([]string{exe}, own...), command)
	return append(append(line, globals...), args...)
}

// unitArgs splits the command line unit was given into the program's own arguments, those
// before "unit" (less daemonkit's global flags, which the unit spells out from what was
// parsed), and start's arguments for ExecStart: the options systemd takes over go (-d,
// --restart and its tuning: Restart=, RestartSec=, StartLimitBurst=; --user and --group:
// User=, Group=), relative paths become absolute (systemd runs it in /), and --name is
// made explicit. ownAfter are the program's own root flags (with their values) given after
// "unit", as a Kong program takes them, whose words rootFlags holds (see
// programRootFlags): they stay in ExecStart's arguments, and ExecReload needs them too, as
// it needs those given before "unit" (Kong may require them of every command). The last
// typed words of args are the program's command line (-- and command, or command alone
// when no -- was typed): ExecStart gives command, as parsed and made absolute, once.
func unitArgs(args []string, typed int, command []string, name string, asUser bool, rootFlags map[string]bool) (own, out, ownAfter []string, err error) {
	i := 0
	for ; i < len(args) && args[i] != "unit"; i++ {
		if skipGlobal(args, &i) {
			continue
		}
		at := i
		taken := absFlag(args, &i)
		taken, _ = withOwnValue(args, at, &i, taken, rootFlags) // a value "unit" is no command
		own = append(own, taken...)
	}
	if i == len(args) {
		return nil, nil, nil, fmt.Errorf("no unit command in %q", args)
	}
	named := false
	end := max(i+1, len(args)-typed)
	for i++; i < end && args[i] != "--"; i++ {
		flag, _, _ := strings.Cut(args[i], "=")
		switch flag {
		case "-d", "--detach":
			continue
		case "--restart", "--restart-delay", "--min-uptime", "--max-restarts", "--user", "--group", "--umask":
			if !strings.Contains(args[i], "=") {
				i++ // its value
			}
			continue
		case "--nice":
			if asUser { // Nice=: the user may not lower a niceness
				if !strings.Contains(args[i], "=") {
					i++
				}
				continue
			}
		case "--name", "-n", "--pidfile":
			named = true
		}
		if skipGlobal(args, &i) {
			continue
		}
		at := i
		taken, own := withOwnValue(args, at, &i, absFlag(args, &i), rootFlags)
		if own {
			ownAfter = append(ownAfter, taken...)
		}
		out = append(out, taken...)
	}
	if !named {
		out = append(out, "--name", name)
	}
	if len(command) > 0 {
		out = append(append(out, "--"), command...) // its program's path made absolute by Run
	}
	return own, out, ownAfter, nil
}

// withOwnValue adds to taken, the words absFlag took at args[at] (i at the last of them),
// the value of a flag of the program's own (rootFlags) given in the next argument, moving
// i past it, and reports whether that flag, or cluster of short flags, is the program's.
func withOwnValue(args []string, at int, i *int, taken []string, rootFlags map[string]bool) ([]string, bool) {
	flag, _, inline := strings.Cut(args[at], "=")
	takesValue, own := rootFlags[flag]
	next := takesValue && !inline
	if !own {
		own, next = ownShorts(args[at], rootFlags)
	}
	if own && next && *i == at && *i+1 < len(args) {
		*i++ // its value
		taken = append(taken, args[*i])
	}
	return taken, own
}

// ownShorts reports whether arg is a cluster of the program's own short root flags, as
// Kong reads one: "-ghi" (-g, which takes a value, with "hi" attached), "-vq" (two that
// take none), "-vg" (the last one's value is the next argument: next says so). A letter
// that is no short flag of the program's (one of daemonkit's) makes it not the program's.
func ownShorts(arg string, rootFlags map[string]bool) (own, next bool) {
	if len(arg) < 2 || arg[0] != '-' || arg[1] == '-' {
		return false, false
	}
	for j, r := range arg[1:] {
		takesValue, ok := rootFlags["-"+string(r)]
		switch {
		case !ok:
			return false, false
		case takesValue:
			return true, 1+j+utf8.RuneLen(r) == len(arg)
		}
	}
	return true, false
}

// programRootFlags are the words (see flagWordsOf) of the flags at the root of app's
// grammar that are the program's own (Config.Flags, or a Kong program's root flags), not
// daemonkit's global flags nor Kong's --help and --version, each with whether it takes a
// value.
func programRootFlags(app *kong.Application) map[string]bool {
	return programNodeFlags(app.Node)
}

// programNodeFlags is programRootFlags for the flags of any node of the grammar.
func programNodeFlags(n *kong.Node) map[string]bool {
	words := map[string]bool{}
	for _, f := range n.Flags {
		switch f.Name {
		case "help", "version", "state-dir", "log-dir", "log-level", "log-format":
			continue
		}
		for _, w := range flagWordsOf(f) {
			words[w] = !f.IsBool() && !f.IsCounter()
		}
	}
	return words
}

// skipGlobal reports whether args[*i] is a global option that the unit spells out from
// what was parsed, advancing *i past its value.
func skipGlobal(args []string, i *int) bool {
	_, ok := valueFlag(args, i, "--state-dir", "--log-dir", "--log-level", "--log-format")
	return ok
}

// pidfileArgs are the --pidfile flag a unit's other commands need to find the instance,
// made absolute, when start was given one.
func pidfileArgs(pidFile string) []string {
	if pidFile == "" {
		return nil
	}
	return []string{"--pidfile", mustAbs(pidFile)}
}

// pathFlags take a path: one that must be absolute in a unit, and never empty
// (checkEmptyValues).
var pathFlags = map[string]bool{
	"--state-dir": true, "--log-dir": true, "--pidfile": true, "--log": true, "--workdir": true,
	"--env-file": true, "--child-pidfile": true,
}

// absFlag returns args[*i] (and its value, advancing *i), with the value made absolute if
// it is a path flag's.
func absFlag(args []string, i *int) []string {
	arg := args[*i]
	flag, value, inline := strings.Cut(arg, "=")
	if flag == "--socket" {
		abs := func(spec string) string { spec, _ = absSocket(spec); return spec }
		if inline {
			return []string{flag + "=" + abs(value)}
		}
		if *i+1 < len(args) {
			*i++
			return []string{flag, abs(args[*i])}
		}
	}
	if !pathFlags[flag] {
		return []string{arg}
	}
	if inline {
		return []string{flag + "=" + mustAbs(value)}
	}
	if *i+1 < len(args) {
		*i++
		return []string{flag, mustAbs(args[*i])}
	}
	return []string{arg}
}

func mustAbs(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return path
}

// unit is a systemd service unit for one instance.
type unit struct {
	Description           string
	ExecStart, ExecReload []string
	Restart               string
	RestartDelay          time.Duration
	Burst                 int
	Interval              time.Duration
	StopTimeout           time.Duration
	StartTimeout          time.Duration
	User, Group           string
	RuntimeDir            string         // with User=: the state directory systemd makes, under /run
	Nice                  int            // with User=: Nice=, which the user could not set
	LimitNofile           uint64         // with User=: LimitNOFILE=, a hard limit the user could not raise
	LowPorts              []string       // with User=: --socket's TCP ports below 1024, which the user may bind only with CAP_NET_BIND_SERVICE
	StopSignal            syscall.Signal // --stop-signal, which daemonkit sends its program for systemd's SIGTERM; 0: none
	Umask                 int            // --umask, as UMask=: a start in the foreground keeps the umask it is given
}

// lowSocketPorts are the ports of the TCP sockets among specs (--socket) below 1024, which
// only root, or a process with CAP_NET_BIND_SERVICE, may bind (Linux's default
// net.ipv4.ip_unprivileged_port_start), as written; a service name counts by its number.
func lowSocketPorts(specs []string) []string {
	var low []string
	for _, spec := range specs {
		sk, err := supervisor.ParseSocket(spec)
		if err != nil || sk.Network != "tcp" {
			continue
		}
		_, port, _ := net.SplitHostPort(sk.Address)
		if n, err := net.LookupPort("tcp", port); err == nil && n > 0 && n < 1024 {
			low = append(low, port)
		}
	}
	return low
}

// checkUnitPIDFile refuses a --pidfile that the unit's start would refuse (see
// checkPIDFileName): one in the state directory the unit's start uses (its
// RuntimeDirectory= with --user, else --state-dir, else root's default) named other than
// <name>.pid. The unit would fail at every start.
func (c *UnitCmd) checkUnitPIDFile(app *App, name, runtimeDir string) error {
	if c.PIDFile == "" {
		return nil
	}
	return checkPIDFileName(instance.Paths{Name: name, PIDFile: mustAbs(c.PIDFile)}, unitStateDir(app, runtimeDir))
}

// unitStateDir is the state directory the unit's start uses: RuntimeDirectory= for
// --user, else --state-dir (or DAEMONKIT_STATE_DIR), else root's default, as systemd runs
// it as root.
func unitStateDir(app *App, runtimeDir string) string {
	switch {
	case runtimeDir != "":
		return "/run/" + runtimeDir
	case app.Globals.StateDir != "":
		return mustAbs(app.Globals.StateDir)
	}
	return filepath.Join("/run", app.Config.Name)
}

// checkUnitSockets refuses, as the unit's start would refuse only once systemd runs it, a
// Unix socket path too long for the kernel: the notify socket of --ready notify and the
// control socket of --socket, beside the pidfile, and a --socket unix:PATH.
func (c *UnitCmd) checkUnitSockets(app *App, name, runtimeDir string) error {
	pidFile := filepath.Join(unitStateDir(app, runtimeDir), name+".pid")
	fix := ""
	if c.PIDFile != "" {
		pidFile = mustAbs(c.PIDFile)
	} else if runtimeDir != "" { // --user: no --state-dir; the directory is the unit's
		fix = "choose a shorter --name, which names it and its runtime directory " + unitStateDir(app, runtimeDir) + ", or give --pidfile in a shorter directory"
	}
	return c.checkSocketPaths(instance.Paths{Name: name, PIDFile: pidFile}, fix)
}

// unitSoftNofile is systemd's default soft limit on open files for a service; a
// --limit-nofile above it may be above the service's hard limit too, which only root, that
// is systemd, may raise.
const unitSoftNofile = 1024

// write prints the unit.
func (u unit) write(w io.Writer) error {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	p("[Unit]")
	p("Description=%s", escapeSpecifiers(u.Description))
	p("After=network.target")
	switch {
	case u.Restart != "" && u.Restart != "no" && u.Burst > 0:
		p("# --max-restarts and --min-uptime: give up after that many starts in that window.")
		p("StartLimitBurst=%d", u.Burst+1)
		p("StartLimitIntervalSec=%s", seconds(u.Interval*time.Duration(u.Burst+1)))
	case u.Restart != "" && u.Restart != "no":
		p("# --max-restarts 0: never give up (systemd's own limit, 5 starts in 10s, is off).")
		p("StartLimitIntervalSec=0")
	}
	p("")
	p("[Service]")
	p("# Ready only when the work is: daemonkit says READY=1 over sd_notify.")
	p("Type=notify")
	p("NotifyAccess=main")
	p("ExecStart=%s", execLine(u.ExecStart))
	p("ExecReload=%s", execLine(u.ExecReload))
	if u.StopSignal != 0 && u.StopSignal != syscall.SIGTERM {
		p("# As daemonkit's stop: SIGTERM to daemonkit, which sends its program %s", signalLabel(u.StopSignal))
		p("# (--stop-signal) and drains; then SIGKILL to whatever is left of the service.")
	} else {
		p("# As daemonkit's stop: SIGTERM to daemonkit, which passes it on and drains; then SIGKILL")
		p("# to whatever is left of the service.")
	}
	p("KillMode=mixed")
	p("# daemonkit exits as its program did: 128+N when a stop's signal N ended it (TERM,")
	p("# INT, QUIT). That is a stop, not a failure.")
	success := "SuccessExitStatus=143 130 131"
	switch u.StopSignal {
	case 0, syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT:
	case syscall.SIGWINCH: // ignored by default: no program dies of it (Apache exits 0)
	default: // --stop-signal HUP, USR1 or USR2
		success += fmt.Sprintf(" %d", 128+int(u.StopSignal))
	}
	p("%s", success)
	p("TimeoutStartSec=%s", seconds(u.StartTimeout))
	p("TimeoutStopSec=%s", seconds(u.StopTimeout))
	restart := u.Restart
	if restart == "" {
		restart = "no"
	}
	p("# --umask, as start -d sets it: a start in the foreground keeps the one it is given.")
	p("UMask=%04o", u.Umask)
	p("Restart=%s", restart)
	if restart != "no" {
		p("RestartSec=%s", seconds(u.RestartDelay))
	}
	if u.User != "" {
		p("User=%s", u.User)
		if u.Group != "" {
			p("Group=%s", u.Group)
		}
		p("RuntimeDirectory=%s", u.RuntimeDir)
		if u.Nice != 0 {
			p("Nice=%d", u.Nice)
		}
		if u.LimitNofile > 0 {
			p("LimitNOFILE=%d", u.LimitNofile)
		}
		if len(u.LowPorts) > 0 {
			p("# --socket's ports below 1024 (%s): start -d --user binds them as root, and the", strings.Join(u.LowPorts, ", "))
			p("# user may bind them only with this capability (which the program inherits too).")
			p("AmbientCapabilities=CAP_NET_BIND_SERVICE")
		}
	}
	p("")
	p("[Install]")
	p("WantedBy=multi-user.target")
	_, err := io.WriteString(w, b.String())
	return err
}

// typedStateDir reports whether the command line (before "--") gives --state-dir, rather
// than the environment.
func typedStateDir(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if a == "--state-dir" || strings.HasPrefix(a, "--state-dir=") {
			return true
		}
	}
	return false
}

// seconds is d as systemd reads a time span: "10.5s".
func seconds(d time.Duration) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.3f", d.Seconds()), "0"), ".") + "s"
}

// execLine quotes argv for an ExecStart= line: each argument in double quotes with \ and "
// escaped, and % and $ doubled so that systemd does not expand them.
func execLine(argv []string) string {
	quoted := make([]string, len(argv))
	for i, a := range argv {
		a = controlEscapes(strings.NewReplacer(`\`, `\\`, `"`, `\"`, "%", "%%", "$", "$$").Replace(a))
		if i == 0 && !strings.ContainsAny(a, " \t\"'\\") {
			quoted[i] = a // the executable, as systemd expects it: bare
			continue
		}
		quoted[i] = `"` + a + `"`
	}
	return strings.Join(quoted, " ")
}

// escapeSpecifiers doubles % in free text, and writes its control characters as C escapes,
// which Description= shows as they are: a newline would end the line of the unit file.
func escapeSpecifiers(s string) string { return controlEscapes(strings.ReplaceAll(s, "%", "%%")) }

// controlEscapes writes the control characters of s as C escapes (systemd.syntax(7)): \n,
// \t, \r, else \xNN, which ExecStart= reads back as the characters. A newline in an
// argument would otherwise end the line, and systemd would refuse the unit. A byte that
// is not UTF-8 (a file name in Latin-1) is \xNN too, which ExecStart= reads back as that
// byte: a unit file is UTF-8, and the byte must reach the program as it is, not as U+FFFD.
func controlEscapes(s string) string {
	if !strings.ContainsFunc(s, isControl) && utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case isControl(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// isControl says whether r is an ASCII control character.
func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// checkUnitUser refuses, for --user, an account that does not exist, and warns of what the
// whole service, run as the user (User=), may not reach by the mode bits (an ACL may let it:
// systemd would tell, when it runs the unit): the executable of ExecStart= itself (exe:
// systemd fails the unit with 203/EXEC, and not a line of daemonkit's), the program, a
// --workdir, and what start -d --user opens as root but the unit's start (of instance
// name) as the user: an env file to read, a directory to bind a unix --socket in.
func (c *UnitCmd) checkUnitUser(app *App, exe, name string) error {
	if c.User == "" {
		return nil
	}
	cred, err := (&request{ProcessFlags: c.ProcessFlags}).credential()
	if err != nil {
		return err // names --user and the account
	}
	warn := func(what, why, fix string) {
		app.say(app.Config.Stderr, hclog.Warn, "warning: ", fmt.Sprintf("%s: %s, unless an ACL lets it: %s", what, why, fix))
	}
	if why := supervisor.CannotExec(exe, cred); why != "" {
		warn("ExecStart's "+exe, why, fmt.Sprintf("install %s where user %s may run it (/usr/local/bin) and print the unit with that one", app.Config.Name, c.User))
	}
	if len(c.Command) > 0 && filepath.IsAbs(c.Command[0]) {
		if why := supervisor.CannotEnter(filepath.Dir(c.Command[0]), cred); why != "" {
			warn("program "+c.Command[0], why, fmt.Sprintf("give a program user %s may run (outside a private home)", c.User))
		}
	}
	if c.Workdir != "" {
		if why := supervisor.CannotEnter(c.Workdir, cred); why != "" {
			warn("--workdir "+c.Workdir, why, fmt.Sprintf("give a directory user %s may enter", c.User))
		}
	}
	for _, spec := range c.Socket {
		if sk, err := supervisor.ParseSocket(spec); err == nil && sk.Network == "unix" {
			if why := supervisor.CannotCreateIn(filepath.Dir(mustAbs(sk.Address)), cred); why != "" {
				warn("--socket "+spec, why, fmt.Sprintf("the unit's start binds it as user %s (start -d --user binds it as root): put it in a directory of theirs, such as /run/%s/%s, which systemd makes for it", c.User, app.Config.Name, name))
			}
		}
	}
	for _, path := range c.EnvFile {
		if why := supervisor.CannotRead(mustAbs(path), cred); why != "" {
			warn("--env-file "+path, why, fmt.Sprintf("the unit's start reads it as user %s (start -d --user reads it as root): let that user read it (a group of theirs and chmod g+r keep others out)", c.User))
		}
	}
	return nil
}
