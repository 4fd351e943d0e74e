package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/daemonkit/daemonkit/pidfile"
	"github.com/daemonkit/daemonkit/strategy"
	"github.com/daemonkit/daemonkit/supervisor"
)

// RestartCmd stops an instance and starts it again with the options recorded when it was
// started (<name>.json beside its pidfile). A stopped instance, which keeps its record, is
// started.
type RestartCmd struct {
	InstanceFlags
	Timeout  *time.Duration `placeholder:"DURATION" help:"How long to wait for it to stop before SIGKILL; 0 sends SIGKILL at once if it is not gone (default 10s, or the instance's --shutdown-timeout and 5s more if that is longer; with --graceful, the whole upgrade's bound, default 2m)."`
	All      bool           `help:"Restart every instance of the state directory (stopped ones are started), in parallel, and report each."`
	Graceful bool           `help:"Start a new copy on the same sockets before the old one stops (start --socket): upgrade with the recorded command."`
}

// Validate refuses what cannot be meant.
func (c *RestartCmd) Validate() error {
	switch {
	case c.Timeout != nil && *c.Timeout < 0:
		return fmt.Errorf("--timeout %s: want a duration of 0 or more", *c.Timeout)
	case c.Graceful && c.Timeout != nil && *c.Timeout == 0:
		return fmt.Errorf("--timeout 0 with --graceful: the new copy would have no time to get ready; give a timeout")
	case c.All && (c.Name != "" || c.PIDFile != ""):
		return fmt.Errorf("--all with --name or --pidfile: give one or the other")
	}
	return nil
}

// Run restarts the instance, or with --all every instance.
func (c *RestartCmd) Run(app *App) error {
	if c.Graceful {
		if c.All {
			return withCode(exitUsage, fmt.Errorf("--graceful with --all: upgrade one instance at a time"))
		}
		paths, err := c.target(app)
		if err != nil {
			return err
		}
		within := 2 * time.Minute // upgrade's own default
		if c.Timeout != nil {
			within = *c.Timeout
		}
		res, err := upgrade(paths, nil, within)
		if err != nil {
			return err
		}
		return reportUpgrade(app, paths.Name, res)
	}
	ctx, stop := interruptible()
	defer stop()
	if c.All {
		return forEachInstance(app, "restart", func(app *App, paths instance.Paths) error {
			return restartInstance(ctx, app, paths, c.Timeout, func() {}) // the others go on
		})
	}
	paths, err := c.target(app)
	if err != nil {
		return err
	}
	return restartInstance(ctx, app, paths, c.Timeout, stop)
}

// restartInstance reads the record first, so that nothing is stopped that could not be
// started again; then stops the instance if it runs, and starts it. It prints one line
// for the stop, if it ran, and one for the start, which says if it was not running.
// decided is called once the start's outcome is decided, before that line is written: it
// stops catching SIGTERM and SIGINT, so that one ends restart even while it is blocked
// writing to a pipe nobody reads.
func restartInstance(ctx context.Context, app *App, paths instance.Paths, timeout *time.Duration, decided func()) error {
	req, desc, err := recordedRequest(app, paths)
	if err != nil {
		return err
	}
	// One restart (or start) of the instance at a time, from before its stop to its
	// daemon's readiness: a second restart waits for this one and leaves its daemon be, as
	// a second systemctl restart joins the job under way, rather than stop the daemon this
	// one is starting.
	starting, err := instance.BeginStart(ctx, instance.Paths{Name: req.Name, PIDFile: req.PIDFile}, startLockWait(req)+stopTimeout(timeout, paths))
	if held := (*pidfile.LockedError)(nil); errors.As(err, &held) {
		decided()
		fmt.Fprintf(app.Stdout, "%s was started meanwhile by another restart or start (pid %d): not restarted again\n", req.Name, held.PID)
		return nil
	}
	if err != nil {
		return withCode(exitFailed, err)
	}
	defer starting.Done()
	res, err := stopReport(app, paths, instance.StopOptions{Signal: syscall.SIGTERM, Timeout: stopTimeout(timeout, paths), OwnStart: true}, false)
	if err != nil {
		return err
	}
	was := ""
	switch {
	case res.WasRunning:
	case res.RemovedStale:
		was = "was not running, stale pidfile removed; "
	default:
		was = "was stopped; "
		if rec, err := instance.ReadRecord(paths.Record); err == nil && rec.EndedFailed() {
			was = "had failed: " + orNone(instance.EndedHow(rec)) + "; " // it was not stopped
		}
	}
	started, err := launchRequest(ctx, req, desc, app.Log.Named("launch").With("instance", req.Name), starting)
	decided()
	if err != nil {
		return err
	}
	fmt.Fprintf(app.Stdout, "started %s (%spid %d, strategy %s%s, log %s)\n",
		req.Name, was, started.PID, req.Strategy, listenNote(started.Listen), req.Log)
	return nil
}

// startAgain is the command line that starts the instance at paths with -d, running
// command, the program it ran, or the program's own work if there is none.
func startAgain(app *App, paths instance.Paths, command []string) string {
	if len(command) == 0 {
		return app.commandFor("start", paths) + " -d"
	}
	return app.commandFor("start", paths) + " -d -- " + shellJoin(command)
}

// recordedRequest reads how the instance at paths was started, and checks it is this
// program's and names a strategy this binary has.
func recordedRequest(app *App, paths instance.Paths) (*request, strategy.Descriptor, error) {
	rec, err := instance.ReadRecord(paths.Record)
	if errors.Is(err, fs.ErrNotExist) || err == nil && rec.Program == "" { // none, or an empty file
		if st, ierr := instance.Inspect(paths); ierr == nil && st.Starting {
			return nil, strategy.Descriptor{}, fmt.Errorf("%s is starting, and its first start is recorded once it is ready: restart it then, or stop it ('%s')", paths.Name, app.commandFor("stop", paths))
		}
		return nil, strategy.Descriptor{}, fmt.Errorf("no record of how %s was started (%s): start it with '%s -d -- PROG [ARGS...]' (without -- PROG, %s's own work)",
			paths.Name, paths.Record, app.commandFor("start", paths), app.Config.Name)
	}
	if err != nil {
		return nil, strategy.Descriptor{}, err
	}
	if rec.Program == app.Config.Name && (len(rec.Request) == 0 || rec.Strategy == "") { // a foreground's may keep its --reload-check
		return nil, strategy.Descriptor{}, fmt.Errorf("%s was started in the foreground, which records no way to start it again: start it with '%s'", paths.Name, startAgain(app, paths, rec.Command))
	}
	if rec.Program != app.Config.Name {
		return nil, strategy.Descriptor{}, fmt.Errorf("%s was started by %q, not by %s: restart it with that program", paths.Name, rec.Program, app.Config.Name)
	}
	var req request
	if err := json.Unmarshal(rec.Request, &req); err != nil {
		return nil, strategy.Descriptor{}, fmt.Errorf("record %s: %w", paths.Record, err)
	}
	desc, err := strategy.Lookup(req.Strategy)
	if err != nil {
		return nil, strategy.Descriptor{}, fmt.Errorf("record %s: %w", paths.Record, err)
	}
	if req.Supervise != nil {
		keepResolvedPorts(req.Supervise.Socket, rec.Sockets)
	} else {
		keepResolvedPorts(req.Socket, rec.Sockets)
	}
	// The binary the work on --socket runs, as the daemon side does: the one recorded at
	// start may be gone (go run's, a binary moved).
	req.Exe = currentExecutable()
	if err := req.startable(); err != nil { // before restart stops anything it could not start again
		return nil, strategy.Descriptor{}, fmt.Errorf("restart %s: %w; nothing was stopped", paths.Name, err)
	}
	return &req, desc, nil
}

// startable checks what a start of req would find missing only after restart had stopped
// the instance: a log path that clashes (checkLog) or whose directory is now a file, a
// working directory removed since (or one the work's user may not enter), the directory
// start was typed in when the program's own flags are parsed there again, env files that
// cannot be read (a relative path recorded by an older build, a file since removed), and a
// supervised program that cannot be found in its environment's PATH: the one it was
// started with (ProcessFlags.Inherited), unless --env gives one.
func (req *request) startable() error {
	if err := req.checkLog(); err != nil {
		return err
	}
	if at := notADirectory(filepath.Dir(req.Log)); req.Log != "" && at != "" {
		return fmt.Errorf("its log %s: %s: make it a directory again, or stop it and start it again with another --log", req.Log, notADirectoryText(filepath.Dir(req.Log), at, false))
	}
	if err := notDir(req.Workdir); err != nil {
		return fmt.Errorf("its working directory %s: %w (create it again, or stop it and start it again with another --workdir)", req.Workdir, err)
	}
	if err := req.checkWorkdir(); err != nil {
		return err
	}
	if err := req.checkCwd(); err != nil {
		return err
	}
	env, err := req.environ()
	if err != nil {
		return err
	}
	if req.Supervise == nil || len(req.Supervise.Command) == 0 {
		return nil
	}
	prog := req.Supervise.Command[0]
	path, _ := envLookup(env, "PATH")
	if _, err := lookPathIn(prog, path); err != nil {
		if strings.Contains(prog, "/") { // as it was started: it moved, or is gone
			return fmt.Errorf("program %s: %w (put it back, or start the instance again with its new path)", prog, err)
		}
		return fmt.Errorf("program %s: %w (give its absolute path to start)", prog, err)
	}
	return nil
}

// checkCwd makes sure the directory start was typed in is still there, where the daemon
// parses start's arguments again: it must be, for the program's own flags (an embedding
// program's), whose relative paths mean what they meant there. Without them, daemonkit's
// own arguments hold no relative path (start made each absolute), and the daemon parses
// them in its working directory instead, as when start's was gone already.
func (req *request) checkCwd() error {
	if req.Cwd == "" {
		return nil
	}
	err := notDir(req.Cwd)
	if err == nil {
		return nil
	} else if hasProgramFlags(req.Flags) {
		return fmt.Errorf("the directory start was typed in, %s, where the program's own flags are parsed again: %w (create it again, or stop it and start it again from another directory)", req.Cwd, err)
	}
	req.Cwd = ""
	return nil
}

// notDir says why dir is not a directory, or nil.
func notDir(dir string) error {
	fi, err := os.Stat(dir)
	var pe *fs.PathError
	switch {
	case errors.As(err, &pe):
		return pe.Err // the caller names the path
	case err != nil:
		return err
	case !fi.IsDir():
		return syscall.ENOTDIR
	}
	return nil
}

// hasProgramFlags reports whether flags, a request's encoded program flags, hold any.
func hasProgramFlags(flags json.RawMessage) bool {
	s := strings.TrimSpace(string(flags))
	return s != "" && s != "null" && s != "{}"
}

// lookPathIn finds file as exec.LookPath would, but in the directories of pathList (a
// PATH value) rather than this process's: a name with a slash is taken as it is.
func lookPathIn(file, pathList string) (string, error) {
	if strings.Contains(file, "/") {
		return file, executable(file)
	}
	for _, dir := range filepath.SplitList(pathList) {
		path := filepath.Join(cmp.Or(dir, "."), file)
		if executable(path) == nil {
			return path, nil
		}
	}
	return "", fmt.Errorf("not found in PATH %s", pathList)
}

// executable says why path is not a file that can be executed, or nil.
func executable(path string) error {
	fi, err := os.Stat(path)
	switch {
	case err != nil:
		return err
	case fi.IsDir():
		return fmt.Errorf("%s is a directory", path)
	case fi.Mode()&0o111 == 0:
		return fmt.Errorf("%s is not executable", path)
	}
	return nil
}

// keepResolvedPorts puts the ports the supervisor resolved (recorded as network:addr, in
// --socket order) back into the --socket specs that asked for port 0, so that a restart
// binds the port clients already use, as "port 0 resolved once" means.
func keepResolvedPorts(specs, resolved []string) {
	for i, spec := range specs {
		if i >= len(resolved) {
			return
		}
		sk, err := supervisor.ParseSocket(spec)
		if err != nil || sk.Network != "tcp" {
			continue
		}
		_, port, err := net.SplitHostPort(sk.Address)
		if err != nil || port != "0" {
			continue
		}
		was, err := supervisor.ParseSocket(resolved[i]) // [NAME=]tcp:HOST:PORT, as the record has it
		if err != nil || was.Network != "tcp" {
			continue
		}
		specs[i] = strings.TrimSuffix(spec, sk.Address) + was.Address
	}
}

// ReloadCmd asks a daemon to reopen its log and reload, with the signal its strategy
// leaves it: SIGHUP, or SIGUSR1 where SIGHUP is ignored (nohup).
type ReloadCmd struct {
	InstanceFlags
}

// Run signals the lock holder and says which signal went to which pid.
func (c *ReloadCmd) Run(app *App) error {
	paths, err := c.target(app)
	if err != nil {
		return err
	}
	sig := syscall.SIGHUP
	if rec, err := instance.ReadRecord(paths.Record); err == nil && ignoresHUP(rec.Strategy) {
		sig = syscall.SIGUSR1
	}
	if err := programReloadable(paths); err != nil {
		if errors.Is(err, supervisor.ErrNoReload) || errors.Is(err, errBetweenRuns) {
			// Its log is reopened all the same, as the reload would have: a logrotate
			// postrotate that runs reload loses nothing. The daemon takes SIGUSR1 for a
			// reopen, and passes it on only to a program that catches it.
			if pid, serr := instance.Signal(paths, syscall.SIGUSR1); serr == nil {
				return withCode(exitFailed, fmt.Errorf("reload %s: %w; its log was reopened (pid %d, SIGUSR1)", paths.Name, err, pid))
			}
		}
		return withCode(exitFailed, fmt.Errorf("reload %s: %w", paths.Name, err))
	}
	if err := checkReload(paths); err != nil {
		return withCode(exitFailed, fmt.Errorf("reload %s: %w: nothing was reloaded", paths.Name, err))
	}
	pid, err := instance.Signal(paths, sig)
	if errors.Is(err, instance.ErrNotRunning) {
		return withCode(exitFailed, fmt.Errorf("%s is not running", paths.Name))
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(app.Stdout, "reloaded %s (pid %d, %s)\n", paths.Name, pid, signalLabel(sig))
	return nil
}

// programReloadable refuses a reload that would end the instance's supervised program
// (supervisor.Reloadable), before anything is signalled: the supervisor refuses it too,
// but only its log would say so. The program is the one the record names, while it is a
// child of the daemon that holds the lock. A program between restarts has nothing to reload:
// the next copy reads its configuration as it is then.
func programReloadable(paths instance.Paths) error {
	st, err := instance.Inspect(paths)
	if err == nil && st.Starting {
		return errors.New("it is starting: reload it once it is ready (it reads its configuration as it is then)")
	}
	if err == nil && st.Running() && st.Record != nil && st.Record.Restarting() {
		if c, starting := startingCopy(st.Record); starting {
			return fmt.Errorf("%w: it ended (%s), and its restart is starting (pid %d): reload it once it is ready (it reads its configuration as it is then)",
				errBetweenRuns, orNone(st.Record.LastExit), c.PID)
		}
		return fmt.Errorf("%w: it ended (%s) and is started again in %s, with its configuration as it is then",
			errBetweenRuns, orNone(st.Record.LastExit), roundDuration(max(time.Until(st.Record.RestartAt), 0)))
	}
	if err != nil || !st.Running() || st.Record == nil || st.Record.ChildPID <= 0 {
		return nil // signalling says what is wrong, if anything
	}
	child, err := proc.ReadStat(st.Record.ChildPID)
	if err != nil || child.PPID != st.PID() {
		return nil
	}
	err = supervisor.Reloadable(st.Record.ChildPID, recordedReloadSignal(st.Record))
	if errors.Is(err, supervisor.ErrIgnoresHUP) && ignoresHUP(st.Record.Strategy) {
		return fmt.Errorf("%w; under the %s strategy a program starts with SIGHUP ignored, as under nohup(1), unless it catches SIGHUP itself: start it with another strategy (reexec, setsid) to reload it", err, st.Record.Strategy)
	}
	return err
}

// errBetweenRuns is wrapped by the error of a reload refused because the supervised
// program is between two runs: it ended, and its restart is waiting or starting. The
// daemon runs, and its log is reopened all the same.
var errBetweenRuns = errors.New("its program is not running")

// ignoresHUP says whether the named strategy leaves its daemon ignoring SIGHUP.
func ignoresHUP(name string) bool {
	desc, err := strategy.Lookup(name)
	return err == nil && desc.Traits.IgnoresHUP
}

// reloadCheckTimeout bounds a --reload-check: a check that hangs (a configuration that
// names an unreachable host) fails the reload rather than holding it, or systemctl
// reload, for ever.
const reloadCheckTimeout = 30 * time.Second

// checkReload runs the --reload-check the running instance at paths was started with, if
// any, and says why it failed: `sh -c COMMAND` in the program's working directory and with
// its environment, rebuilt from the record as restart rebuilds them (its env files read
// again), as the user running reload, with nothing on its stdin and its stdout discarded.
// It is killed, with what it started in its process group, past reloadCheckTimeout or when
// reload is interrupted. An instance that does not run, or whose record says nothing of a
// check, passes: signalling says what is wrong, if anything.
func checkReload(paths instance.Paths) error {
	st, err := instance.Inspect(paths)
	if err != nil || !st.Running() || st.Record == nil {
		return nil
	}
	var req request
	if json.Unmarshal(st.Record.Request, &req) != nil || req.Supervise == nil || req.Supervise.ReloadCheck == "" {
		return nil
	}
	check := req.Supervise.ReloadCheck
	var defaults []string
	if !req.ClearEnv {
		defaults = append(defaults, "PWD="+req.Workdir) // as the program has it: see launchRequest
	}
	env, err := req.environ(defaults...)
	if err != nil {
		return fmt.Errorf("--reload-check '%s' could not run: the program's environment: %w", check, err)
	}
	ctx, stop := interruptible()
	defer stop()
	ctx, cancel := context.WithTimeoutCause(ctx, reloadCheckTimeout, fmt.Errorf("did not finish within %s, and was killed", reloadCheckTimeout))
	defer cancel()
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", check)
	cmd.Dir, cmd.Env = req.Workdir, inheritable(env) // not the run's mark, nor a service manager's sockets: it is no part of the run
	stderr := &tailWriter{}
	cmd.Stderr = stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second // a process it left in another group may hold its stderr
	err = cmd.Run()
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // what it left in its group: no part of a reload
	}
	if errors.Is(err, exec.ErrWaitDelay) && cmd.ProcessState != nil && cmd.ProcessState.Success() {
		err = nil // it passed; what it left behind held its stderr open
	}
	said := stderr.lastLines(3)
	if said != "" {
		said = ": " + said
	}
	var exit *exec.ExitError
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return fmt.Errorf("--reload-check '%s' %v%s", check, context.Cause(ctx), said)
	case errors.As(err, &exit):
		how := fmt.Sprintf("exit %d", exit.ExitCode())
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			how = "killed by " + signalLabel(ws.Signal())
		}
		return fmt.Errorf("--reload-check '%s' failed (%s)%s", check, how, said)
	}
	return fmt.Errorf("--reload-check '%s' could not run: %w", check, err)
}

// tailWriter keeps the end of what is written to it, at most maxReloadCheckTail bytes.
type tailWriter struct {
	mu  sync.Mutex
	buf []byte
}

// maxReloadCheckTail bounds what is kept of a reload check's stderr; maxReloadCheckLine
// bounds each line of it that an error quotes.
const (
	maxReloadCheckTail = 4096
	maxReloadCheckLine = 200
)

func (w *tailWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	if len(w.buf) > maxReloadCheckTail {
		w.buf = w.buf[len(w.buf)-maxReloadCheckTail:]
	}
	return len(p), nil
}

// lastLines is the last n lines written that are not blank, trimmed and joined with "; ":
// a check often ends with a summary ("test failed") under the line that says why.
func (w *tailWriter) lastLines(n int) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var kept []string
	lines := strings.Split(strings.ToValidUTF8(string(w.buf), "?"), "\n")
	for i := len(lines) - 1; i >= 0 && len(kept) < n; i-- {
		line := strings.TrimSpace(lines[i])
		if line == "" {
			continue
		}
		if len(line) > maxReloadCheckLine {
			line = line[:maxReloadCheckLine] + "..."
		}
		kept = append([]string{line}, kept...)
	}
	return strings.Join(kept, "; ")
}
