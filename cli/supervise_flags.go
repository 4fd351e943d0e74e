package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/logfile"
	"github.com/daemonkit/daemonkit/notify"
	"github.com/daemonkit/daemonkit/supervisor"
)

// SuperviseFlags say how start supervises a program given after --.
type SuperviseFlags struct {
	Ready         string        `default:"exec" placeholder:"HOW" help:"With -- CMD: when it is ready: exec (alive after --ready-grace), notify (sd_notify READY=1), tcp:HOST:PORT, http:URL (GET answers 2xx or 3xx; plain http), cmd:COMMAND (exits 0) or pidfile:PATH (it daemonizes itself: exits 0 once the daemon it forked is named in PATH) (default ${default})."`
	ReadyGrace    time.Duration `default:"200ms" placeholder:"DURATION" help:"With --ready=exec: how long it must stay alive (default ${default})."`
	ReadyInterval time.Duration `default:"100ms" placeholder:"DURATION" help:"How often --ready tcp, http or cmd tries, and, with any --ready but pidfile, how often a program stopped by a signal while it starts is looked at again (default ${default})."`
	Restart       string        `enum:"no,on-failure,always" default:"no" placeholder:"WHEN" help:"With -- CMD: restart it when it ends on its own: no, on-failure or always (default ${default})."`
	RestartDelay  time.Duration `default:"100ms" placeholder:"DURATION" help:"The first wait before a restart; it doubles, up to 30s (default ${default})."`
	MinUptime     time.Duration `default:"10s" placeholder:"DURATION" help:"A run this long resets the back-off and the restart count (default ${default})."`
	MaxRestarts   int           `default:"5" min:"0" outofrange:"0 never gives up" placeholder:"N" help:"Give up after N restarts in a row none of which stayed up --min-uptime; 0 never gives up (default ${default})."`
	ChildPIDFile  string        `name:"child-pidfile" placeholder:"PATH" help:"With -- CMD: also write its pid here, for tools that want it."`
	Socket        []string      `sep:"none" placeholder:"[NAME=]tcp:HOST:PORT|unix:PATH[,mode=0660]" help:"A listening socket the supervisor binds once and hands to the program (LISTEN_FDS, as systemd does), kept across restarts and upgrades (repeatable)."`
	DrainTimeout  time.Duration `default:"30s" placeholder:"DURATION" help:"With --socket: how long an old copy may drain after an upgrade before SIGKILL (default ${default})."`
	ReopenSignal  string        `placeholder:"SIGNAL" help:"With -- CMD: the program's own signal to reopen its log files (HUP, USR1 or USR2; nginx's is USR1), passed on once the supervisor has reopened its log (reopen, logrotate). Default: none is passed on."`
	StopSignal    string        `placeholder:"SIGNAL" help:"With -- CMD: the program's own signal to stop (TERM, INT, QUIT, HUP, USR1, USR2 or WINCH; nginx's graceful stop is QUIT, Apache's WINCH), sent instead of TERM when the supervisor is stopped by TERM (stop, restart, systemd, docker stop); the wait and the SIGKILL after --shutdown-timeout stay the same. Default: TERM."`
	ReloadSignal  string        `placeholder:"SIGNAL" help:"With -- CMD: the program's own signal to reload (HUP, USR1 or USR2; lighttpd's is USR1), passed on instead of HUP at reload (systemctl reload too), once the supervisor has reopened its log. Default: HUP."`
	ReloadCheck   string        `notempty:"command" placeholder:"COMMAND" help:"With -- CMD: a command that checks the program's configuration (sh -c COMMAND, in its working directory and environment, as its --user when reload runs as root, else as the user running reload; nginx -t -q), run by reload (systemctl reload too) before it signals anything: if it fails or runs 30s, nothing is reloaded and reload exits 1. Default: none."`
}

// reopenSignals are the signals --reopen-signal takes: those programs reopen their log
// files on (nginx, Apache and others USR1, rsyslog and unbound HUP).
var reopenSignals = map[string]syscall.Signal{"HUP": syscall.SIGHUP, "USR1": syscall.SIGUSR1, "USR2": syscall.SIGUSR2}

// reopenSignal is --reopen-signal's signal, 0 for none, and whether it is one it takes.
func reopenSignal(name string) (syscall.Signal, bool) {
	if name == "" {
		return 0, true
	}
	sig, ok := reopenSignals[strings.TrimPrefix(strings.ToUpper(name), "SIG")]
	return sig, ok
}

// programSignal is the signal named (TERM or SIGTERM, any case), as stop --signal reads it
// (or one of programOnlySignals), def for "", and whether it is one of allowed.
func programSignal(name string, def syscall.Signal, allowed ...syscall.Signal) (syscall.Signal, bool) {
	if name == "" {
		return def, true
	}
	if s, ok := programOnlySignals[strings.TrimPrefix(strings.ToUpper(name), "SIG")]; ok {
		return s, slices.Contains(allowed, s)
	}
	var sig signalName
	if err := sig.UnmarshalText([]byte(name)); err != nil {
		return 0, false
	}
	return syscall.Signal(sig), slices.Contains(allowed, syscall.Signal(sig))
}

// stopSignal is --stop-signal's signal (SIGTERM for none), and whether it is one it takes:
// those programs stop on, TERM, INT, QUIT, HUP, USR1, USR2, and WINCH, Apache's graceful
// stop (apachectl graceful-stop), which lets the requests in flight finish where its TERM
// cuts them; never KILL, which would leave the program no stop of its own (the supervisor
// sends SIGKILL after --shutdown-timeout itself).
func stopSignal(name string) (syscall.Signal, bool) {
	return programSignal(name, syscall.SIGTERM,
		syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGWINCH)
}

// reloadSignal is --reload-signal's signal (SIGHUP for none), and whether it is one it
// takes: HUP, USR1 or USR2, those programs reload on (lighttpd and Apache USR1, php-fpm and
// HAProxy USR2). TERM, INT and QUIT ask a program to stop, and KILL ends it. USR1 is the
// supervisor's own reopen signal when it is sent to the supervisor, which is no clash: a
// reload reaches the supervisor as HUP (USR1 only under nohup, where USR1 is its reload
// too), and only then is USR1 sent to the program.
func reloadSignal(name string) (syscall.Signal, bool) {
	return programSignal(name, syscall.SIGHUP, syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGUSR2)
}

// recordedReloadSignal is the program's reload signal in rec: its recorded --reload-signal,
// else SIGHUP.
func recordedReloadSignal(rec *instance.Record) syscall.Signal {
	var req request
	if rec == nil || json.Unmarshal(rec.Request, &req) != nil || req.Supervise == nil {
		return syscall.SIGHUP
	}
	sig, ok := reloadSignal(req.Supervise.ReloadSignal)
	if !ok {
		return syscall.SIGHUP
	}
	return sig
}

// checkSignalClash refuses a stop signal that a reload or a reopen sends the program too
// (every reload, or logrotate's reopen, would stop it), and, detached (-d: the strategy
// applies), a stop signal of HUP under a strategy that starts the program with SIGHUP
// ignored (nohup: it would never see it, and every stop would end in SIGKILL).
func (c *StartOptions) checkSignalClash(detached bool) error {
	stop, _ := stopSignal(c.StopSignal)
	reload, _ := reloadSignal(c.ReloadSignal)
	reopen, _ := reopenSignal(c.ReopenSignal) // 0: none
	name := unix.SignalName(stop)
	switch {
	case stop == reload:
		return fmt.Errorf("--stop-signal %s is also the program's reload signal (--reload-signal, HUP by default): every reload would stop it; give --reload-signal another signal, or another --stop-signal", name)
	case stop == reopen:
		return fmt.Errorf("--stop-signal %s is also --reopen-signal: every reopen (logrotate) would stop the program; give one of them another signal", name)
	case stop == syscall.SIGHUP && detached && ignoresHUP(c.Strategy):
		return fmt.Errorf("--stop-signal SIGHUP with --strategy %s, which starts the program with SIGHUP ignored: it would never see it, and every stop would end in SIGKILL; give another --stop-signal or another --strategy", c.Strategy)
	}
	return nil
}

// superviseRequest is what a daemon that supervises a program needs.
type superviseRequest struct {
	SuperviseFlags
	Command words `json:"command"`
}

// checkSupervise refuses supervision flags that cannot apply, and durations that are not
// durations to wait (zero or negative, which used to mean the default without a word).
// bounded says --ready-timeout bounds the start (start -d, and a unit, whose
// TimeoutStartSec it sets; not the foreground), as it bounds every restart: a --ready exec
// whose --ready-grace is not shorter could never be ready in time.
func (c *StartOptions) checkSupervise(bounded bool) error {
	if _, err := supervisor.ParseReadiness(c.Ready); err != nil {
		return err
	}
	if len(c.Command) == 0 && (c.Ready != "exec" || c.Restart != "no" || c.ChildPIDFile != "" || c.ReopenSignal != "" || c.StopSignal != "" || c.ReloadSignal != "") {
		return fmt.Errorf("--ready, --restart, --child-pidfile, --reopen-signal, --stop-signal and --reload-signal apply to a program given after --: start -d [flags] -- CMD [ARGS...]")
	}
	if len(c.Command) == 0 && c.ReloadCheck != "" {
		return fmt.Errorf("--reload-check applies to a program given after --, which reload signals once the check passes: start -d [flags] --reload-check COMMAND -- CMD [ARGS...]")
	}
	if c.ReloadCheck != "" && strings.TrimSpace(c.ReloadCheck) == "" {
		return fmt.Errorf("--reload-check %q: empty command; give one (nginx -t -q), or leave the flag out", c.ReloadCheck)
	}
	if _, ok := reopenSignal(c.ReopenSignal); !ok {
		return fmt.Errorf("--reopen-signal %s: want HUP, USR1 or USR2, the program's own signal to reopen its log files", c.ReopenSignal)
	}
	if _, ok := stopSignal(c.StopSignal); !ok {
		return fmt.Errorf("--stop-signal %s: want TERM, INT, QUIT, HUP, USR1, USR2 or WINCH, the program's own signal to stop (the supervisor sends SIGKILL after --shutdown-timeout itself)", c.StopSignal)
	}
	if _, ok := reloadSignal(c.ReloadSignal); !ok {
		return fmt.Errorf("--reload-signal %s: want HUP, USR1 or USR2, the program's own signal to reload (TERM, INT and QUIT ask it to stop)", c.ReloadSignal)
	}
	if c.MaxRestarts < 0 {
		return fmt.Errorf("--max-restarts %d: want 0 or more", c.MaxRestarts)
	}
	if c.ReadyTimeout <= 0 { // it used to mean 10s, without a word
		return fmt.Errorf("--ready-timeout %v: want a positive duration, how long the work may take to be ready (a long one for a slow program: there is no unbounded start)", c.ReadyTimeout)
	}
	if c.ShutdownTimeout <= 0 { // it used to mean 10s, while the work was told 0
		return fmt.Errorf("--shutdown-timeout %v: want a positive duration, how long a stop lets work in flight finish", c.ShutdownTimeout)
	}
	for _, d := range []struct {
		flag    string
		value   time.Duration
		meaning string
	}{
		{"--ready-grace", c.ReadyGrace, "how long the program must stay alive to be ready with --ready exec (1ms: ready almost at once)"},
		{"--ready-interval", c.ReadyInterval, "how often --ready tcp, http or cmd tries, and a stopped program is looked at while it starts (10ms: almost without a pause)"},
		{"--restart-delay", c.RestartDelay, "the first wait before a restart (1ms restarts almost at once)"},
		{"--min-uptime", c.MinUptime, "how long a run must last to reset the back-off (1ms: any run does)"},
		{"--drain-timeout", c.DrainTimeout, "how long an old copy may drain after an upgrade (1ms: killed almost at once)"},
	} {
		if d.value <= 0 { // the supervisor takes zero for its default
			return fmt.Errorf("%s %v: want a positive duration, %s", d.flag, d.value, d.meaning)
		}
	}
	var tcpAddrs, given []string
	for _, s := range c.Socket {
		sk, err := supervisor.ParseSocket(s)
		if err != nil {
			return err
		}
		where := sk.Network + ":" + sk.Address
		if slices.Contains(given, where) && !(sk.Network == "tcp" && strings.HasSuffix(sk.Address, ":0")) {
			return fmt.Errorf("--socket %s: %s is given twice; give each socket once", s, where)
		}
		given = append(given, where)
		if sk.Network == "tcp" {
			tcpAddrs = append(tcpAddrs, sk.Address)
		}
	}
	ready, _ := supervisor.ParseReadiness(c.Ready)
	// Restarts are bounded by --ready-timeout in the foreground too.
	if (bounded || c.Restart != "no") && len(c.Command) > 0 && ready.Kind == "exec" && c.ReadyGrace >= c.ReadyTimeout {
		return fmt.Errorf("--ready-grace %v with --ready-timeout %v: with --ready exec the program is ready once it has run --ready-grace, so it could never be ready in time: give a --ready-grace shorter than --ready-timeout",
			c.ReadyGrace, c.ReadyTimeout)
	}
	if ready.Kind == "pidfile" {
		if runtime.GOOS != "linux" {
			return fmt.Errorf("--ready %s needs Linux: the supervisor adopts the daemon the program forks as a child subreaper", ready)
		}
		if len(c.Socket) > 0 {
			return fmt.Errorf("--ready %s with --socket: a program that daemonizes itself cannot take sockets (LISTEN_PID would name its first process, not its daemon)", ready)
		}
		if c.ChildPIDFile != "" && filepath.Clean(c.ChildPIDFile) == ready.Target {
			return fmt.Errorf("--ready %s with --child-pidfile %s: the program writes that file itself; drop --child-pidfile", ready, c.ChildPIDFile)
		}
	}
	return supervisor.ProbesSocket(ready, tcpAddrs) // the kernel would answer the probe, not the program
}

// checkProgramPidfiles refuses a program's pidfile (--ready pidfile:, --child-pidfile) at
// the instance's own pidfile, which the daemon holds, or beside it as NAME.pid, NAME.json
// or NAME.starting, where list would take it for an instance; and the log at any of those, or at
// a pidfile or record of the state directory stateDir ("" if unknown) (see checkLog).
func (c *StartOptions) checkProgramPidfiles(paths instance.Paths, stateDir string) error {
	own, err := filepath.Abs(paths.PIDFile)
	if err != nil {
		return nil // start reports it
	}
	ready, _ := supervisor.ParseReadiness(c.Ready)
	check := func(flag, path string) error { // flag: how the command line named path
		abs, err := filepath.Abs(path)
		if path == "" || err != nil {
			return nil
		}
		switch {
		case abs == own:
			return fmt.Errorf("%s is the instance's own pidfile, which daemonkit holds: give another path", flag)
		case filepath.Dir(abs) == filepath.Dir(own) && isInstanceFile(abs):
			return fmt.Errorf("%s is in the state directory %s, where list would take it for an instance: put it elsewhere", flag, filepath.Dir(own))
		}
		return nil
	}
	if ready.Kind == "pidfile" {
		if err := check("--ready "+ready.String(), ready.Target); err != nil {
			return err
		}
	}
	if err := check("--child-pidfile "+c.ChildPIDFile, c.ChildPIDFile); err != nil {
		return err
	}
	logName, fix := "--log "+c.Log, "give --log another path"
	if c.Log == "" {
		logName, fix = "the log "+paths.Log+" (<log-dir>/<name>.log)", "give --log, or another --log-dir"
	}
	var sup *superviseRequest
	if len(c.Command) > 0 {
		sup = &superviseRequest{SuperviseFlags: c.SuperviseFlags}
	}
	return checkLog(logName, fix, paths, sup, stateDir)
}

// instanceFile is a file an instance keeps besides its log, and what it is, for a message.
type instanceFile struct {
	path string
	role string
}

// checkLog refuses a log (logName says how the command line or the record names it; fix
// what to do) at a file the instance keeps otherwise: its pidfile or record, which the
// log's lines would corrupt and stop would delete with it; a supervised program's
// --child-pidfile or --ready pidfile:; or a NAME.pid or NAME.json in the state directory
// (stateDir, "" if unknown, and the pidfile's), another instance's pidfile or record, or
// what list would take for one. Paths are compared cleaned and absolute, with symlinked
// directories resolved, and an existing log by device and inode too, so that neither a
// symlinked directory nor a hard link slips through. /dev/null, which keeps nothing, is
// never refused.
func checkLog(logName, fix string, paths instance.Paths, sup *superviseRequest, stateDir string) error {
	log, err := filepath.Abs(paths.Log)
	if paths.Log == "" || err != nil || logfile.Discards(log) {
		return nil // start reports a bad path
	}
	files := []instanceFile{
		{paths.PIDFile, "the instance's own pidfile, which daemonkit holds and stop removes"},
		{paths.Record, "the instance's own record, which daemonkit rewrites"},
		{paths.StartLock(), "the instance's own start lock, which start holds and removes"},
	}
	if sup != nil {
		if sup.ChildPIDFile != "" {
			files = append(files, instanceFile{sup.ChildPIDFile, "also --child-pidfile " + sup.ChildPIDFile + ", where the supervisor writes the program's pid"})
		}
		if ready, _ := supervisor.ParseReadiness(sup.Ready); ready.Kind == "pidfile" {
			files = append(files, instanceFile{ready.Target, "also the file of --ready " + ready.String() + ", where the program writes its daemon's pid"})
		}
	}
	logInfo, statErr := os.Stat(log)
	at := resolvePath(log)
	for _, f := range files {
		p, err := filepath.Abs(f.path)
		if f.path == "" || err != nil {
			continue
		}
		if p == log || resolvePath(p) == at || statErr == nil && sameFile(logInfo, p) {
			return fmt.Errorf("%s is %s: %s", logName, f.role, fix)
		}
	}
	dirs := []string{filepath.Dir(paths.PIDFile)}
	if stateDir != "" {
		dirs = append(dirs, stateDir)
	}
	for _, dir := range dirs {
		dir, err := filepath.Abs(dir)
		if err != nil {
			continue
		}
		if filepath.Dir(log) == dir || filepath.Dir(at) == resolvePath(dir) {
			if name, role, ok := instance.FileName(filepath.Base(log)); ok {
				return fmt.Errorf("%s is in the state directory %s, where %s is instance %s's %s: %s, outside it or not ending in .pid, .json, .starting or .ctl",
					logName, dir, filepath.Base(log), name, role, fix)
			}
		}
		if statErr != nil || !hardLinked(logInfo) {
			continue // no other name of the log's file is anywhere: nothing to read the directory for
		}
		des, _ := os.ReadDir(dir) // a hard link to a pidfile or record there
		for _, de := range des {
			if name, role, ok := instance.FileName(de.Name()); ok && sameFile(logInfo, filepath.Join(dir, de.Name())) {
				return fmt.Errorf("%s is the same file as %s in the state directory %s, instance %s's %s: %s",
					logName, de.Name(), dir, name, role, fix)
			}
		}
	}
	return nil
}

// hardLinked reports whether the file fi describes has more than one name (a hard link),
// or whether it cannot tell.
func hardLinked(fi os.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return !ok || st.Nlink > 1
}

// isInstanceFile reports whether path's name is an instance's file's (see
// instance.FileName).
func isInstanceFile(path string) bool {
	_, _, ok := instance.FileName(filepath.Base(path))
	return ok
}

// resolvePath is the absolute path p with the symlinks in its directory resolved, or p
// itself if its directory cannot be resolved (missing yet).
func resolvePath(p string) string {
	dir, err := filepath.EvalSymlinks(filepath.Dir(p))
	if err != nil {
		return p
	}
	return filepath.Join(dir, filepath.Base(p))
}

// sameFile reports whether path names the file fi is of (device and inode).
func sameFile(fi os.FileInfo, path string) bool {
	other, err := os.Stat(path)
	return err == nil && os.SameFile(fi, other)
}

// checkLog refuses a request whose log is a file the instance keeps otherwise (see
// checkLog): restart checks the recorded one so, as start checked its flags.
func (req *request) checkLog() error {
	paths := instance.Paths{Name: req.Name, PIDFile: req.PIDFile, Log: req.Log, Record: req.Record}
	return checkLog("its log "+req.Log, "stop it and start it again with another --log", paths, req.Supervise, "")
}

// checkSocketPaths refuses, before anything starts, a Unix socket path the kernel would
// refuse to bind in the daemon: the notify socket (--ready notify) and the control socket
// (--socket) go in the pidfile's directory, and a long --state-dir leaves no room for
// them; a --socket unix:PATH may be too long itself. fix says how to shorten the
// directory ("" for --state-dir's or --pidfile's).
func (c *StartOptions) checkSocketPaths(paths instance.Paths, fix string) error {
	dir, err := filepath.Abs(filepath.Dir(paths.PIDFile))
	if err != nil || len(c.Command) == 0 {
		return nil // start reports the one; the other supervises nothing
	}
	limit := len(syscall.RawSockaddrUnix{}.Path) - 1
	if fix == "" {
		fix = "choose a shorter --state-dir (or --pidfile directory)"
	}
	tooLong := func(what, path string) error {
		return fmt.Errorf("%s: its path %s would be %d bytes, and a Unix socket's may have at most %d: %s", what, path, len(path), limit, fix)
	}
	if ready, _ := supervisor.ParseReadiness(c.Ready); ready.Kind == "notify" && !notify.SocketDirFits(dir) {
		return tooLong("--ready notify makes its socket in the state directory", filepath.Join(dir, "notify-<24 random hex digits>"))
	}
	if len(c.Socket) == 0 {
		return nil
	}
	if control, err := filepath.Abs(paths.ControlSocket()); err == nil && len(control) > limit {
		return tooLong("--socket needs a control socket beside the pidfile, for upgrade", control)
	}
	for _, spec := range c.Socket {
		if sk, _ := supervisor.ParseSocket(spec); sk.Network == "unix" {
			if abs, err := filepath.Abs(sk.Address); err == nil && len(abs) > limit {
				return fmt.Errorf("--socket %s: its path is %d bytes, and a Unix socket's may have at most %d: choose a shorter one", spec, len(abs), limit)
			}
		}
	}
	return nil
}

// supervisorConfig is the supervisor's view of the flags for command, an instance at
// paths; detached says the daemon's process group is the instance's own.
func (f SuperviseFlags) supervisorConfig(command []string, paths instance.Paths, shutdown time.Duration, detached bool) supervisor.Config {
	ready, _ := supervisor.ParseReadiness(f.Ready) // checked by start
	maxRestarts := f.MaxRestarts
	if maxRestarts == 0 {
		maxRestarts = -1 // the supervisor's zero means its default
	}
	childPIDFile := f.ChildPIDFile
	if childPIDFile != "" {
		childPIDFile, _ = filepath.Abs(childPIDFile)
	}
	var sockets []supervisor.Socket
	for _, spec := range f.Socket {
		sk, _ := supervisor.ParseSocket(spec) // checked by start
		if sk.Network == "unix" {
			sk.Address, _ = filepath.Abs(sk.Address)
		}
		sockets = append(sockets, sk)
	}
	var control string
	if len(sockets) > 0 {
		control = paths.ControlSocket() // checkSocketPaths checks its length
	}
	reopen, _ := reopenSignal(f.ReopenSignal) // checked by start
	stop, _ := stopSignal(f.StopSignal)
	reload, _ := reloadSignal(f.ReloadSignal)
	return supervisor.Config{
		Sockets:         sockets,
		ExecStep:        selfExecutable(),
		ControlPath:     control,
		DrainTimeout:    f.DrainTimeout,
		Command:         command,
		Ready:           ready,
		ReadyGrace:      f.ReadyGrace,
		ReadyInterval:   f.ReadyInterval,
		Restart:         supervisor.Policy(f.Restart),
		RestartDelay:    f.RestartDelay,
		MinUptime:       f.MinUptime,
		MaxRestarts:     maxRestarts,
		ShutdownTimeout: shutdown,
		ReopenSignal:    reopen,
		StopSignal:      stop,
		ReloadSignal:    reload,
		ChildPIDFile:    childPIDFile,
		NotifyDir:       filepath.Dir(paths.PIDFile),
		OwnGroup:        detached,
	}
}

// absSocket makes the path of a unix --socket spec absolute against the directory start is
// typed in, as --log's is: the supervisor, which runs in / or --workdir, would bind it
// elsewhere. Other specs, and unparsable ones (start refuses those), come back as they are.
func absSocket(spec string) (string, error) {
	sk, err := supervisor.ParseSocket(spec)
	if err != nil || sk.Network != "unix" || filepath.IsAbs(sk.Address) {
		return spec, nil
	}
	abs, err := filepath.Abs(sk.Address)
	if err != nil {
		return spec, fmt.Errorf("--socket %s: a relative path, and the working directory is unknown (give an absolute one): %w", spec, err)
	}
	at := strings.Index(spec, "unix:") + len("unix:") // a name holds no ':'
	return spec[:at] + abs + spec[at+len(sk.Address):], nil
}
