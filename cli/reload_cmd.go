package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/alecthomas/kong"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/daemonkit/daemonkit/launcher"
	"github.com/daemonkit/daemonkit/strategy"
	"github.com/daemonkit/daemonkit/supervisor"
)

// ReloadCmd asks a daemon to reopen its log and reload, with the signal its strategy
// leaves it: SIGHUP, or SIGUSR1 where SIGHUP is ignored (nohup).
type ReloadCmd struct {
	InstanceTarget
	All bool `help:"Reload every running instance of the state directory, in parallel, each checked as alone and reported; those not running are skipped."`
}

// Validate refuses what cannot be meant.
func (c *ReloadCmd) Validate(kctx *kong.Context) error {
	if err := c.takeName(kctx); err != nil {
		return err
	}
	return c.allOrOne(c.All)
}

// Run signals the lock holder and says which signal went to which pid. With --all, every
// instance of the state directory, each as alone; one not running, or stopping, is skipped
// (nothing runs to read a configuration: its next start reads it), and is no failure; one
// starting is reloaded once it is ready (awaitReady), as alone. Its caller's going away (a
// hang-up, a reader gone: outliveCaller) does not end it: it would leave a --reload-check
// running, in a process group of its own that the terminal does not reach, and reload
// nothing.
func (c *ReloadCmd) Run(app *App) error {
	defer outliveCaller(app)()
	var waits waitInterrupt // one Ctrl-C ends every wait, --all's too
	defer waits.release()
	if c.All {
		return forEachInstance(context.Background(), app, "reload", func(app *App, paths instance.Paths) error {
			err := reload(app, paths, &waits)
			switch {
			case errors.Is(err, instance.ErrNotRunning):
				fmt.Fprintf(app.Stdout, "%s is not running: nothing to reload\n", paths.Name)
				return nil
			case errors.Is(err, errStopping): // as good as not running: it is on its way out
				reopened := ""
				if errors.Is(err, errLogReopened) {
					reopened = "; its log was reopened"
				}
				fmt.Fprintf(app.Stdout, "%s is stopping: nothing to reload%s\n", paths.Name, reopened)
				return nil
			}
			return err
		})
	}
	paths, err := c.target(app, "reload")
	if err != nil {
		return err
	}
	return reload(app, paths, &waits)
}

// reload asks the instance at paths to reload, and says it asked. Its error wraps
// instance.ErrNotRunning when the instance does not run. A wait for a starting instance
// (awaitReady) ends with waits' interrupt, which, once it came, ends every reload that
// begins after it, reloading nothing.
func reload(app *App, paths instance.Paths, waits *waitInterrupt) error {
	if err := waits.err(); err != nil {
		return withCode(exitFailed, fmt.Errorf("reload %s: %w: nothing was reloaded", paths.Name, err))
	}
	st, inspectErr := instance.Inspect(paths) // once, for both looks before the signal
	// A lock holder nothing proves the daemon was waited for already: the signal would
	// wait for it again.
	if errors.Is(inspectErr, instance.ErrUnprovenHolder) {
		return withCode(exitFailed, fmt.Errorf("reload %s: %w: nothing was reloaded", paths.Name, inspectErr))
	}
	w, err := awaitReady(waits, app, paths, st, inspectErr)
	st, inspectErr, waited := w.st, w.inspectErr, w.waited
	if err != nil && errors.As(err, new(interruption)) { // the instance goes on starting
		return withCode(exitFailed, fmt.Errorf("reload %s: %w: nothing was reloaded; '%s' reloads it once it is ready",
			paths.Name, err, app.commandFor("reload", paths)))
	}
	if err != nil {
		return withCode(exitFailed, fmt.Errorf("reload %s: %w: nothing was reloaded", paths.Name, err))
	}
	if inspectErr != nil { // nothing to judge a reload of, nor to signal (signalJudged)
		return withCode(exitFailed, fmt.Errorf("reload %s: cannot tell whether it runs: %w: nothing was reloaded", paths.Name, inspectErr))
	}
	if waited && !st.Running() {
		return withCode(exitFailed, fmt.Errorf("%s is %w: it was starting, and its start failed or was called off (its log says why: '%s')",
			paths.Name, instance.ErrNotRunning, app.commandFor("logs", paths)))
	}
	sig := syscall.SIGHUP // read after the wait: a first start's record is written once it is ready
	if rec, err := instance.ReadRecord(paths.Record); err == nil && recordIgnoresHUP(rec) {
		sig = syscall.SIGUSR1
	}
	if err := programReloadable(st, inspectErr); err != nil {
		if errors.Is(err, supervisor.ErrNoReload) || errors.Is(err, errBetweenRuns) || errors.Is(err, errStopping) || errors.Is(err, errProgramStopped) {
			// Its log is reopened all the same, as the reload would have: a logrotate
			// postrotate that runs reload loses nothing. The daemon takes SIGUSR1 for a
			// reopen, and passes it on only to a program that catches it.
			if pid, serr := signalJudged(paths, st, inspectErr, syscall.SIGUSR1); serr == nil {
				return withCode(exitFailed, fmt.Errorf("reload %s: %w; %w (pid %d, SIGUSR1)", paths.Name, err, errLogReopened, pid))
			}
		}
		return withCode(exitFailed, fmt.Errorf("reload %s: %w", paths.Name, err))
	}
	warnOwnedEnvOfCheck(app, st)
	if err := checkReload(st, inspectErr); err != nil {
		return withCode(exitFailed, fmt.Errorf("reload %s: %w: nothing was reloaded", paths.Name, err))
	}
	unmark := markReload(paths, st, sig)
	pid, err := signalJudged(paths, st, inspectErr, sig)
	if err != nil {
		unmark()
	}
	if replaced := (*instance.ReplacedError)(nil); errors.As(err, &replaced) && replaced.Reused() {
		return withCode(exitFailed, fmt.Errorf("reload %s: pid %d, which reload looked at, is gone, and another daemon runs in its place under the same pid (started since): nothing was reloaded; '%s' reloads it",
			paths.Name, replaced.Was, app.commandFor("reload", paths)))
	} else if replaced != nil {
		return withCode(exitFailed, fmt.Errorf("reload %s: pid %d, which reload looked at, is gone, and pid %d runs in its place (restarted meanwhile): nothing was reloaded; '%s' reloads pid %d",
			paths.Name, replaced.Was, replaced.Now, app.commandFor("reload", paths), replaced.Now))
	}
	if errors.Is(err, instance.ErrNotRunning) {
		return withCode(exitFailed, fmt.Errorf("%s is %w", paths.Name, instance.ErrNotRunning))
	}
	if err != nil {
		return err
	}
	// Asked, not done: the daemon reloads after this returns, behind a log reopen that a
	// frozen disk may hold up, and its log says how the reload went.
	once := ""
	if waited {
		once = ", once it was ready (it was starting)"
	}
	fmt.Fprintf(app.Stdout, "asked %s (pid %d) to reload (%s)%s\n", paths.Name, pid, signalLabel(sig), once)
	return nil
}

// signalJudged sends sig to the daemon that Inspect told of (st, inspectErr), on which
// reload judged that sig may be sent: its record chose the signal, its --reload-check
// passed. A daemon that replaced it since (a restart while the check ran) is not signalled
// (the error wraps instance.ErrReplaced). Where Inspect found none running, or could not
// tell, nothing was judged, and nothing is signalled, whatever runs by now (a start
// meanwhile): the error wraps instance.ErrNotRunning, or Inspect's error; as systemctl
// reload of a service that is not active, and start-stop-daemon's signal to a pidfile
// that names none, fail.
func signalJudged(paths instance.Paths, st instance.Status, inspectErr error, sig syscall.Signal) (int, error) {
	switch {
	case inspectErr != nil:
		return 0, inspectErr
	case !st.Running():
		return 0, fmt.Errorf("signal %s: %w", paths.Name, instance.ErrNotRunning)
	}
	return instance.SignalDaemon(paths, st.PID(), st.StartTime, sig)
}

// markReload marks sig, about to be sent to the daemon st tells of, as a reload's
// (instance.MarkReload) when that daemon may take a SIGHUP for its terminal's hangup, and
// so takes the mark (its record says so): a foreground start, outside a service manager,
// not PID 1. Another daemon would leave the mark behind. undo removes the mark, for a signal not
// sent. A reload just after the terminal hung up then reloads, rather than stop the start.
func markReload(paths instance.Paths, st instance.Status, sig syscall.Signal) (undo func()) {
	if sig != syscall.SIGHUP || !st.Running() || st.Record == nil || !st.Record.TakesReloadMark {
		return func() {}
	}
	return instance.MarkReload(paths.Record, st.PID())
}

// programReloadable refuses a reload of a daemon stopped by a signal, and one that would
// end the instance's supervised program (supervisor.Reloadable), before anything is
// signalled: the supervisor refuses it too, but only its log would say so. The program is
// the one the record names, while it is a child of the daemon that holds the lock. A
// program between restarts has nothing to reload: the next copy reads its configuration
// as it is then; nor does an instance that is stopping (errStopping). st and err are what
// Inspect said of the instance.
func programReloadable(st instance.Status, err error) error {
	if err == nil && st.Running() && st.Stopped {
		// The signal would wait, pending, until SIGCONT, and come then: after a stop's
		// SIGTERM (stop continues a stopped daemon), in the middle of its drain.
		return fmt.Errorf("its daemon (pid %d) is stopped by a signal (SIGSTOP or SIGTSTP), and would take the reload only once continued: 'kill -CONT %d' first, then reload", st.PID(), st.PID())
	}
	if err == nil && st.Starting { // one that may not become ready: awaitReady waits for the others
		return errors.New("it is starting: reload it once it is ready (it reads its configuration as it is then)")
	}
	if err == nil && st.Running() && st.Record != nil && st.Record.State == instance.StateStopping {
		// Its daemon reopens its log on SIGHUP still, but reloads nothing, and its
		// supervisor passes nothing on to a program that drains.
		return fmt.Errorf("%w: it finishes its work in flight after a stop and takes nothing new: nothing to reload (its next start reads its configuration as it is then)", errStopping)
	}
	if err == nil && st.Running() && st.Record != nil && st.Record.Restarting() { // a restart starting is waited for: awaitReady
		return fmt.Errorf("%w: it ended (%s) and is started again in %s, with its configuration as it is then",
			errBetweenRuns, orNone(st.Record.LastExit), roundDuration(max(time.Until(st.Record.RestartAt), 0)))
	}
	if err == nil && st.Running() && st.Record != nil && st.Record.ProgramEnded() {
		// An older daemonkit's supervisor between restarts: it says not when it starts the
		// next copy, and would only log that the reload failed.
		return fmt.Errorf("%w: it ended (%s), and its supervisor has not started it again yet; the next copy reads its configuration as it is then",
			errBetweenRuns, orNone(st.Record.LastExit))
	}
	if err != nil || !st.Running() || st.Record == nil || st.Record.ChildPID <= 0 {
		return nil // signalling says what is wrong, if anything
	}
	child, err := proc.ReadStat(st.Record.ChildPID)
	if err != nil || child.PPID != st.PID() {
		return nil
	}
	if stoppedSteadily(st.Record.ChildPID) {
		// As of a stopped daemon: the signal would wait until SIGCONT, maybe a stop's.
		return fmt.Errorf("its program (pid %d) is stopped by a signal (SIGSTOP or SIGTSTP), and would take the reload only once continued: %w; 'kill -CONT %d' first, then reload",
			st.Record.ChildPID, errProgramStopped, st.Record.ChildPID)
	}
	err = supervisor.Reloadable(st.Record.ChildPID, recordedReloadSignal(st.Record))
	if errors.Is(err, supervisor.ErrIgnoresHUP) && ignoresHUP(st.Record.Strategy) {
		return fmt.Errorf("%w; under the %s strategy a program starts with SIGHUP ignored, as under nohup(1), unless it catches SIGHUP itself (a shell script cannot: a shell's trap of a signal ignored when it started is ignored too): start it with another strategy (reexec, setsid) to reload it", err, st.Record.Strategy)
	}
	if errors.Is(err, supervisor.ErrIgnoresHUP) && st.Record.IgnoresHUP {
		return fmt.Errorf("%w; started in the foreground under nohup(1), a program keeps SIGHUP ignored, unless it catches SIGHUP itself (a shell script cannot: a shell's trap of a signal ignored when it started is ignored too): start it with -d (not under nohup) to reload it", err)
	}
	return err
}

// stoppedSteadily reports whether pid reads as stopped by a signal (SIGSTOP, SIGTSTP; not
// a tracer's stop, proc.Stat.Stopped) at each of a few looks over stoppedLook: a reload is
// not refused for a stop that lasts a moment (a job-control stop a shell ends at once).
func stoppedSteadily(pid int) bool {
	const looks = 3
	for i := range looks {
		if i > 0 {
			time.Sleep(stoppedLook / (looks - 1)) // a debounce, not a synchronisation
		}
		if st, err := proc.ReadStat(pid); err != nil || !st.Stopped() {
			return false
		}
	}
	return true
}

// stoppedLook is how long stoppedSteadily looks at a program that reads as stopped.
const stoppedLook = 100 * time.Millisecond

// errStopping is wrapped by the error of a reload refused because the instance is
// stopping: it drains its work in flight after a stop, and is gone once done. Its log is
// reopened all the same.
var errStopping = errors.New("it is stopping")

// errProgramStopped is wrapped by the error of a reload refused because the supervised
// program is stopped by a signal: its daemon runs, and its log is reopened all the same.
var errProgramStopped = errors.New("nothing was reloaded")

// errLogReopened is wrapped by the error of a reload refused whose log reopen, sent in
// its stead, reached the daemon.
var errLogReopened = errors.New("its log was reopened")

// errBetweenRuns is wrapped by the error of a reload refused because the supervised
// program is between two runs: it ended, and its restart is waiting or starting. The
// daemon runs, and its log is reopened all the same.
var errBetweenRuns = errors.New("its program is not running")

// recordIgnoresHUP says whether the daemon rec tells of ignores SIGHUP, and takes SIGUSR1
// for a reload too: by its strategy (nohup), or started in the foreground under nohup(1).
func recordIgnoresHUP(rec instance.Record) bool { return rec.IgnoresHUP || ignoresHUP(rec.Strategy) }

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
// again), as the program's --user (and --group) when reload runs as root, as systemd runs
// ExecReload= as User= (root would otherwise run what that user's env file or working
// directory chose), else as the user running reload, in a process group of its own (a
// session, as another user: no terminal of root's), with nothing on its stdin and its
// stdout discarded.
// It is killed, with what it started in its process group, past reloadCheckTimeout or when
// reload is interrupted. An instance that does not run, or whose record says nothing of a
// check, passes: signalling says what is wrong, if anything. st and inspectErr are what
// Inspect said of the instance.
func checkReload(st instance.Status, inspectErr error) error {
	if inspectErr != nil || !st.Running() || st.Record == nil {
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
	attr, err := req.checkAttr()
	if err != nil {
		return fmt.Errorf("--reload-check '%s' could not run: %w", check, err)
	}
	ctx, stop := interruptible()
	defer stop()
	ctx, cancel := context.WithTimeoutCause(ctx, reloadCheckTimeout, fmt.Errorf("did not finish within %s, and was killed", reloadCheckTimeout))
	defer cancel()
	// No descriptor this process's caller left open reaches the check, which may run as
	// another user (--user) than the one whose shell opened it, as none reaches the program.
	launcher.CloseOnExecFrom3()
	cmd := exec.Command("/bin/sh", "-c", check)
	cmd.Dir, cmd.Env = req.Workdir, inheritable(env) // not the run's mark, nor a service manager's sockets: it is no part of the run
	stderr := &tailWriter{}
	cmd.Stderr = stderr
	cmd.SysProcAttr = attr
	cmd.WaitDelay = time.Second    // a process it left in another group may hold its stderr
	err = runGroupLeader(ctx, cmd) // what it left in its group is no part of a reload: killed
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
		if attr.Credential != nil {
			how += fmt.Sprintf(", run as %s, the --user", req.User)
		}
		return fmt.Errorf("--reload-check '%s' failed (%s)%s", check, how, said)
	}
	return fmt.Errorf("--reload-check '%s' could not run: %w", check, err)
}

// checkAttr is how a --reload-check runs: as req's --user when this process is root and
// the program runs as that user, in a session of its own then, else in a process group of
// its own; either way it leads a group that can be killed whole.
func (req *request) checkAttr() (*syscall.SysProcAttr, error) {
	if req.User == "" || os.Geteuid() != 0 {
		return &syscall.SysProcAttr{Setpgid: true}, nil
	}
	cred, err := req.credential()
	if err != nil {
		return nil, err
	}
	return &syscall.SysProcAttr{Credential: cred, Setsid: true}, nil
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
