package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/alecthomas/kong"

	"github.com/daemonkit/daemonkit/instance"
)

// InstanceFlags name the instance a command acts on.
type InstanceFlags struct {
	Name    string `short:"n" placeholder:"NAME" help:"Instance name: letters, digits, '.', '_', '-'; at most 64, no leading dot, nor a leading dash for a new one (start's default: \"${default_name}\", or -- CMD's base name; the others': \"${default_name}\" if the state directory has it, else its only instance)."`
	PIDFile string `name:"pidfile" placeholder:"PATH" help:"Pidfile path (default <state-dir>/<name>.pid)."`
}

// Validate rejects a bad name at parse time, so it is a usage error.
func (f *InstanceFlags) Validate() error {
	if f.Name == "" {
		return nil
	}
	return instance.ValidateName(f.Name)
}

// checkNewName refuses, for start, a name that a new instance may not have
// (instance.ValidateNewName): the one --name gives, or else the base name of pidFile.
// Neither given, the name is the program's default, checked by Config.check.
func checkNewName(name, pidFile string) error {
	if name == "" && pidFile != "" {
		name = strings.TrimSuffix(filepath.Base(pidFile), ".pid")
	}
	if name == "" {
		return nil
	}
	return instance.ValidateNewName(name)
}

// allOrOne refuses --all beside a named instance: --all acts on every instance of the
// state directory.
func (f *InstanceFlags) allOrOne(all bool) error {
	if all && (f.Name != "" || f.PIDFile != "") {
		return errors.New("--all with --name or --pidfile: give one or the other")
	}
	return nil
}

// paths resolves the instance's files; create says they are a start's, and checks them
// for it (and the default state directory, if it is there). It makes no directory of the
// instance: start does, once it will use them (makeStateDir, makeDirs).
func (f *InstanceFlags) paths(app *App, logFile string, create bool) (instance.Paths, error) {
	layout, err := app.layout(create)
	if err != nil {
		return instance.Paths{}, err
	}
	paths, err := layout.Resolve(f.Name, f.PIDFile, logFile)
	if errors.Is(err, instance.ErrPIDFileName) || errors.Is(err, instance.ErrOtherInstance) {
		return paths, withCode(exitUsage, err)
	}
	if err != nil {
		return paths, err
	}
	if !create && f.Name == "" && f.PIDFile != "" {
		// A pidfile given alone names its instance by its base name, unless the daemon
		// that holds it is another instance's, as its record beside it proves (started
		// with --name web --pidfile /run/app.pid): then it is that instance, as with
		// --name web, so that status says how web runs, and stop records web stopped.
		// Not while none holds it: a record naming that pidfile may be an earlier
		// instance's, and a failed start of the base name writes none to tell.
		if name, ok := instance.PIDFileOwner(paths.PIDFile, paths.Name); ok && name != paths.Name {
			if named, err := layout.Resolve(name, f.PIDFile, logFile); err == nil {
				paths = named
			}
		}
	}
	if !create && f.PIDFile == "" {
		// An older daemonkit's daemon of the name may hold another pidfile beside its
		// record (--pidfile STATE/web.lock): stop, status and the rest act on it there.
		if rec, err := instance.ReadRecord(paths.Record); err == nil {
			paths, _ = instance.AtRecordedPIDFile(paths, rec)
		}
	}
	if create {
		if err := checkPIDFileName(paths, layout.StateDir); err != nil {
			if up := runsAtOtherName(app, paths); up != nil {
				return paths, up
			}
			return paths, withCode(exitUsage, err)
		}
		if err := f.checkAreDirs(paths, logFile); err != nil {
			return paths, withCode(exitFailed, err) // what is there, not how it was typed
		}
		if logFile == "" {
			if err := instance.CheckLogCase(paths.Log, paths.Name); err != nil {
				return paths, withCode(exitFailed, err)
			}
		}
		// The missing directories are made by start, once it knows it will use them
		// (makeDirs): not for a start that finds the instance running, nor the log's
		// for a foreground start that logs to stderr. Missing, they are checked from
		// their nearest existing parent.
	}
	return paths, checkDirs(paths)
}

// checkPIDFileName refuses, for a start or a unit, a pidfile in the state directory under
// another name than <name>.pid (--pidfile STATE/web.lock, --name web --pidfile STATE/api.pid):
// status, list, stop --all and a later start of the name look for <name>.pid there, beside
// the record the start writes, so they would take the running daemon for a failed one, and
// a start of the name would run a second daemon. Elsewhere any name is the instance's own.
func checkPIDFileName(p instance.Paths, stateDir string) error {
	dir := filepath.Dir(p.PIDFile)
	if filepath.Base(p.PIDFile) == p.Name+".pid" || !sameDir(dir, stateDir) {
		return nil
	}
	return fmt.Errorf("--pidfile %s: in the state directory, instance %s's pidfile is %s, where status, list and start look for it: leave --pidfile out, or give one in another directory",
		p.PIDFile, p.Name, filepath.Join(dir, p.Name+".pid"))
}

// runsAtOtherName is exit 3 when a daemon of the instance holds p.PIDFile, a pidfile that
// checkPIDFileName refuses (one an older daemonkit started with it): a start of the name
// without --pidfile would not see it and run a second one. It names the command that
// stops it, after which a start without --pidfile puts the pidfile where it belongs; nil
// when nothing holds it, or what holds it is not proven the instance's by its record (the
// name's record naming that pidfile and the holder): another instance's daemon, whose
// start has written no record yet, must never be named, nor its stop advised.
func runsAtOtherName(app *App, p instance.Paths) error {
	st, err := instance.Inspect(p)
	if err != nil || !st.Running() || st.Record == nil || st.Record.Name != p.Name || st.Record.PIDFile != p.PIDFile {
		return nil
	}
	return alreadyRunning(nil, "%s is already running (pid %d), with its pidfile %s, not where it belongs (%s): to move it there, '%s', then start it without --pidfile",
		p.Name, st.PID(), p.PIDFile, filepath.Join(filepath.Dir(p.PIDFile), p.Name+".pid"), app.commandFor("stop", p))
}

// sameDir says whether a and b name one directory: the same path, or the same directory
// reached through a symlink. A directory that is not there yet is the same only by path.
func sameDir(a, b string) bool {
	if b == "" {
		return false
	}
	if abs, err := filepath.Abs(b); err == nil && filepath.Clean(a) == abs {
		return true
	}
	return samePath(a, b)
}

// checkAreDirs refuses an instance's directory (the pidfile's, where the record goes too,
// and the log's) that is, or lies under, something other than a directory: start would
// otherwise launch and fail where it first writes there. logFile is --log, if given.
func (f *InstanceFlags) checkAreDirs(p instance.Paths, logFile string) error {
	pidDir, logDir := filepath.Dir(p.PIDFile), filepath.Dir(p.Log)
	if at := notADirectory(pidDir); at != "" {
		if f.PIDFile != "" {
			return fmt.Errorf("--pidfile %s: %s: give a pidfile in a directory", f.PIDFile, notADirectoryText(pidDir, at, false))
		}
		return fmt.Errorf("state directory %s: %s: give --state-dir a directory (or remove the file)", pidDir, notADirectoryText(pidDir, at, true))
	}
	if at := notADirectory(logDir); at != "" {
		if logFile != "" {
			return fmt.Errorf("--log %s: %s: give a log in a directory", logFile, notADirectoryText(logDir, at, false))
		}
		return fmt.Errorf("log directory %s: %s: give --log-dir a directory (or remove the file)", logDir, notADirectoryText(logDir, at, true))
	}
	return nil
}

// notADirectoryText says that dir, or at on its way, is not a directory; self says the
// message is about dir itself, else about a file in it.
func notADirectoryText(dir, at string, self bool) string {
	switch {
	case at != filepath.Clean(dir):
		return at + ", on its way, is not a directory"
	case self:
		return "not a directory"
	}
	return "its directory " + at + " is not a directory"
}

// notADirectory is dir, or the nearest existing directory above it, if that is something
// else than a directory (a file on the way): "" when it is a directory, or cannot be told
// (left to fail where it is opened).
func notADirectory(dir string) string {
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		switch {
		case err == nil && fi.IsDir():
			return ""
		case err == nil:
			return d
		case !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR):
			return ""
		case d == filepath.Dir(d):
			return ""
		}
	}
}

// makeDirs makes, for a start, the missing directories of the instance at p (the
// pidfile's and the log's, and the state directory stateDir, where the log's claims are
// kept, when the pidfile is elsewhere), each checked once it is there (instance.MakeDir):
// checked while missing, and made later, one could be made meanwhile by another user, a
// symlink to a directory of theirs or of root's, where the files would then go.
func makeDirs(p instance.Paths, stateDir string) error {
	dirs := []string{filepath.Dir(p.PIDFile)}
	if d := filepath.Dir(p.Log); p.Log != "" && d != dirs[0] {
		dirs = append(dirs, d)
	}
	for _, d := range dirs {
		if err := instance.MakeDir(d); err != nil {
			return err
		}
	}
	if stateDir != "" && !sameDir(stateDir, dirs[0]) {
		return instance.MakeDir(stateDir)
	}
	return nil
}

// checkDirs refuses to act on files in a directory another user could change (see
// instance.CheckDir): the pidfile's and record's, and the log's.
func checkDirs(p instance.Paths) error {
	dirs := []string{filepath.Dir(p.PIDFile)}
	if d := filepath.Dir(p.Log); d != dirs[0] {
		dirs = append(dirs, d)
	}
	for _, d := range dirs {
		if err := instance.CheckDir(d); err != nil {
			return err
		}
	}
	return nil
}

// layout is where the program's instances live: --state-dir (or the default) and
// --log-dir (or /var/log/PROGRAM as root, else the state directory). With check set, a
// default state directory that is there is checked as makeStateDir checks it; one that is
// missing is left to makeStateDir, which start calls only once it will use it, so that a
// start refused before (already running, a program that is not there) makes nothing.
func (app *App) layout(check bool) (instance.Layout, error) {
	return app.layoutMaking(check, false)
}

// makeStateDir makes the default state directory if it is missing (private, 0700, for
// any user but root: see instance.EnsureStateDir) and checks it; nothing for a
// --state-dir, whose directory makeDirs makes.
func (app *App) makeStateDir() error {
	_, err := app.layoutMaking(true, true)
	return err
}

// layoutMaking is layout; create says to make a missing default state directory.
func (app *App) layoutMaking(check, create bool) (instance.Layout, error) {
	l := instance.Layout{StateDir: app.Globals.StateDir, LogDir: app.Globals.LogDir, DefaultName: app.Config.DefaultName}
	if l.LogDir == "" && syscall.Geteuid() == 0 {
		l.LogDir = filepath.Join("/var/log", app.Config.Name)
	}
	if l.StateDir != "" {
		return l, nil
	}
	dir, private, err := instance.DefaultStateDir(app.Config.Name)
	if err != nil {
		return l, err
	}
	if _, err := os.Lstat(dir); check && (create || !errors.Is(err, fs.ErrNotExist)) {
		if err := instance.EnsureStateDir(dir, private); err != nil {
			return l, fmt.Errorf("%w; to use another state directory, give --state-dir DIR or set %sSTATE_DIR", err, app.Config.envPrefix())
		}
	}
	l.StateDir = dir
	return l, nil
}

// commandFor is the command line that runs command on the instance at paths, for a hint
// to set off in single quotes (adviceJoin: it pastes into sh as it is): "PROG
// [--state-dir DIR] COMMAND --name NAME", with --pidfile PATH when the pidfile is not the
// name's default, and --state-dir when the state directory is not the default one, nor
// the one $<PREFIX>STATE_DIR names (the same shell finds it so again), so that following
// the hint acts on this very instance; then after, the command's own flags that the hint
// repeats (logs' -f and -n: it does there what was asked here).
func (app *App) commandFor(command string, paths instance.Paths, after ...string) string {
	args, stateDir, err := app.commandStart(command)
	name := nameArgs(paths.Name)
	switch {
	case err == nil && paths.PIDFile == filepath.Join(stateDir, paths.Name+".pid"):
		args = append(args, name...)
	case filepath.Base(paths.PIDFile) == paths.Name+".pid":
		args = append(args, "--pidfile", paths.PIDFile)
	default:
		args = append(append(args, name...), "--pidfile", paths.PIDFile)
	}
	return adviceJoin(append(args, after...))
}

// commandStart is the start of commandFor's command line, with the state directory it
// names (made absolute) and the error of finding it. It is laid out as a unit's command
// lines are (commandLine): "PROG [OWN...] COMMAND [--state-dir DIR] [OWN AFTER...]", the
// program's own arguments where it was given them (a program parsing its own flags with
// the flag package takes them before the command alone, and stops at a flag it does not
// know, such as --state-dir; a Kong program may require its root flags of every command),
// daemonkit's global flag after the command word, where every way of embedding it takes
// it. Every pasteable advice line starts so.
func (app *App) commandStart(command string) (args []string, stateDir string, err error) {
	own, ownAfter := app.own, app.ownAfter
	if !ownWorkCommands[command] { // it ignores the program's own Config.Flags: not repeated
		own, ownAfter = app.common, app.commonAfter
	}
	return app.commandStartWith(command, own, ownAfter)
}

// commandLead is commandStart's line for command, to paste, less the program's own
// Config.Flags whatever the command: for advice that names the one flag that matters
// itself (restartKeeps), whose value it does not show.
func (app *App) commandLead(command string) string {
	args, _, _ := app.commandStartWith(command, app.common, app.commonAfter)
	return adviceJoin(args)
}

// commandStartWith is commandStart with the program's own arguments given: own, before
// the command word (in a grammar that holds the commands under one of the program's own,
// that command's word among them), ownAfter after it.
func (app *App) commandStartWith(command string, own, ownAfter []string) (args []string, stateDir string, err error) {
	args = append(append([]string{app.Config.Name}, own...), command)
	layout, err := app.layout(false)
	stateDir, _ = filepath.Abs(layout.StateDir)
	if err == nil {
		args = append(args, app.Config.stateDirArgs(stateDir)...)
	}
	return append(args, ownAfter...), stateDir, err
}

// stateDirArgs are "--state-dir dir", for an advised line to reach dir, an absolute path;
// none where the line reaches it without them, from the shell the advice is printed in:
// dir is the one $<PREFIX>STATE_DIR names or, with that unset or empty, the default state
// directory. The default typed out is left out, as a user would type the line, but not
// where $<PREFIX>STATE_DIR names another.
func (cfg Config) stateDirArgs(dir string) []string {
	bare := os.Getenv(cfg.envPrefix() + "STATE_DIR")
	if bare != "" {
		bare, _ = filepath.Abs(bare)
	} else if def, _, err := instance.DefaultStateDir(cfg.Name); err == nil {
		bare = def
	}
	if dir == bare {
		return nil
	}
	return []string{"--state-dir", dir}
}

// ownArgs are the program's own arguments on the command line kctx parsed, as unitArgs
// finds them: own, those before the command word (the words of os.Args before the
// arguments Run was given, which a program parsing its own flags kept, then those of the
// parsed line before the command word), less daemonkit's global flags; ownAfter, the
// program's own root flags (rootFlags) given after the command word, before any "--".
// Without programFlags it leaves out the flags of Config.Flags, with their values, which
// only start and unit read (ownWorkCommands): advice for another command has no use for
// them, and they may hold what should not be shown again (a token).
func ownArgs(cfg Config, kctx *kong.Context, programFlags bool) (own, ownAfter []string) {
	if kctx == nil {
		return nil, nil
	}
	base := kctx.Args
	if cfg.viaRun {
		base = cfg.runArgs
	}
	if all := os.Args[1:]; len(os.Args) > 0 && len(base) < len(all) && slices.Equal(all[len(all)-len(base):], base) {
		own = slices.Clone(all[:len(all)-len(base)])
	}
	// The command word is daemonkit's command, the one selected: in a grammar that holds
	// cli.Commands under a command of its own (app daemon start), the words before it, that
	// command's included, are the program's, and so are the flags of every node above it.
	var word string
	var above []*kong.Node
	if sel := kctx.Selected(); sel != nil {
		word = sel.Name
		for n := sel.Parent; n != nil; n = n.Parent {
			above = append(above, n)
		}
	}
	if word == "" {
		return own, nil
	}
	rootFlags := programRootFlags(kctx.Model)
	for _, n := range above[:max(len(above)-1, 0)] { // the root's are rootFlags already
		for w, v := range programNodeFlags(n) {
			rootFlags[w] = v
		}
	}
	skip := map[string]bool{} // the flag words of Config.Flags, when they are left out
	if !programFlags {
		for _, n := range above {
			for _, f := range n.Flags {
				if isProgramFlag(cfg.Flags, f) {
					for _, w := range flagWordsOf(f) {
						skip[w] = true
					}
				}
			}
		}
	}
	args := kctx.Args
	i := 0
	for ; i < len(args) && args[i] != word; i++ {
		if skipGlobal(args, &i) {
			continue
		}
		at := i
		taken := []string{args[i]}
		taken, _ = withOwnValue(args, at, &i, taken, rootFlags)
		if !skip[flagWord(args[at])] {
			own = append(own, taken...)
		}
	}
	if i == len(args) {
		return own, nil
	}
	for i++; i < len(args) && args[i] != "--"; i++ {
		if skipGlobal(args, &i) {
			continue
		}
		at := i
		taken, mine := withOwnValue(args, at, &i, absFlag(args, &i), rootFlags)
		if mine && !skip[flagWord(args[at])] {
			ownAfter = append(ownAfter, taken...)
		}
	}
	return own, ownAfter
}

// flagWord is the flag an argument gives: --token of --token=x, -t of -tx (a short flag
// with its value attached, or the first of a cluster).
func flagWord(arg string) string {
	if strings.HasPrefix(arg, "--") {
		w, _, _ := strings.Cut(arg, "=")
		return w
	}
	if len(arg) > 2 && arg[0] == '-' {
		return arg[:2]
	}
	return arg
}

// commandByName is the command line that runs command on the instance name, for a hint as
// commandFor's: the name as the argument, the shortest form, for a command that takes it
// (byArg) and a name with no leading dash (which would read as a flag), else --name.
func (app *App) commandByName(command, name string, byArg bool) string {
	args, _, _ := app.commandStart(command)
	if byArg && !strings.HasPrefix(name, "-") {
		return adviceJoin(append(args, name))
	}
	return adviceJoin(append(args, nameArgs(name)...))
}

// umask is a file-mode creation mask given in octal, like the shell's umask.
type umask int

// UnmarshalText parses "022" or "0022"; anything else is a usage error.
func (u *umask) UnmarshalText(text []byte) error {
	v, err := strconv.ParseUint(string(text), 8, 32)
	if err != nil || v > 0o777 {
		return fmt.Errorf("umask %q: want an octal mode from 000 to 777", text)
	}
	*u = umask(v)
	return nil
}

// String formats it as start's --umask takes it.
func (u umask) String() string { return fmt.Sprintf("%03o", int(u)) }

// signalName is a signal given by name on the command line: TERM or SIGTERM.
type signalName syscall.Signal

var signalsByName = map[string]syscall.Signal{
	"TERM": syscall.SIGTERM, "INT": syscall.SIGINT, "QUIT": syscall.SIGQUIT, "HUP": syscall.SIGHUP,
	"USR1": syscall.SIGUSR1, "USR2": syscall.SIGUSR2, "KILL": syscall.SIGKILL,
}

// UnmarshalText accepts the names in signalsByName, upper or lower case, with or without SIG.
func (s *signalName) UnmarshalText(text []byte) error {
	if dashed := strings.TrimPrefix(string(text), "-"); dashed != string(text) {
		return fmt.Errorf("%q: give the signal by its name, without kill's dash (TERM, INT, QUIT or KILL)", text)
	}
	name := strings.TrimPrefix(strings.ToUpper(string(text)), "SIG")
	sig, ok := signalsByName[name]
	if !ok {
		return fmt.Errorf("unknown signal %q (want TERM, INT, QUIT or KILL)", text)
	}
	*s = signalName(sig)
	return nil
}

// programOnlySignals are signals a supervised program may be given as its own
// (--stop-signal WINCH, Apache's graceful stop) that stop --signal does not take: sent to
// the supervisor, they are no stop of it.
var programOnlySignals = map[string]syscall.Signal{"WINCH": syscall.SIGWINCH}

// signalLabel names sig as SIGTERM, SIGHUP, ...
func signalLabel(sig syscall.Signal) string {
	for _, names := range []map[string]syscall.Signal{signalsByName, programOnlySignals} {
		for name, s := range names {
			if s == sig {
				return "SIG" + name
			}
		}
	}
	return sig.String()
}

// nameArgs is how advice gives the instance name: --name NAME, or --name=NAME for a name
// an older release made with a leading dash, which as a word of its own reads as a flag.
func nameArgs(name string) []string {
	if strings.HasPrefix(name, "-") {
		return []string{"--name=" + name}
	}
	return []string{"--name", name}
}
