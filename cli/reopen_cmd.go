package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"syscall"
	"time"

	"github.com/alecthomas/kong"
	"github.com/hashicorp/go-hclog"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/pidfile"
)

// ReopenCmd asks a daemon to reopen its log at its path, as logrotate needs once it has
// moved the file away: SIGUSR1, which every daemon of this program handles so, whatever
// its strategy and workload.
type ReopenCmd struct {
	InstanceTarget
	All bool `help:"Ask every running instance of the state directory (one logrotate stanza for <log-dir>/*.log); those not running are skipped."`
}

// Validate refuses what cannot be meant.
func (c *ReopenCmd) Validate(kctx *kong.Context) error {
	if err := c.takeName(kctx); err != nil {
		return err
	}
	return c.allOrOne(c.All)
}

// Run signals the lock holder and says which pid was asked; exit 1 when not running. With
// --all, every running instance, and an instance not running is no failure: its log is
// not open.
func (c *ReopenCmd) Run(app *App) (err error) {
	// An interrupt (Ctrl-C, logrotate's own timeout) ends a wait at once, and says what it
	// leaves: nothing asked, or a daemon asked that may not have reopened yet.
	ctx, stop := interruptible()
	defer func() {
		stop()
		dieByInterruption(app, ctx, err) // as it ended before: a logrotate script ends too
	}()
	if c.All {
		return forEachInstance(ctx, app, "reopen", func(app *App, paths instance.Paths) error {
			err := reopen(ctx, app, paths)
			if errors.Is(err, instance.ErrNotRunning) {
				if st, ierr := instance.Inspect(paths); ierr == nil && st.Starting && !st.Running() && st.Stopped {
					fmt.Fprintf(app.Stdout, "%s is starting, but its start (pid %d) is stopped by a signal (Ctrl-Z): nothing reopened\n", paths.Name, st.StartPID)
					return nil
				}
				fmt.Fprintf(app.Stdout, "%s is not running: no log open to reopen\n", paths.Name)
				return nil
			}
			return err
		})
	}
	paths, err := c.target(app, "reopen")
	if err != nil {
		return err
	}
	err = reopen(ctx, app, paths)
	if errors.Is(err, instance.ErrNotRunning) {
		if st, ierr := instance.Inspect(paths); ierr == nil && st.Starting {
			if !st.Running() && st.Stopped { // its start, stopped by Ctrl-Z: not waited for
				return withCode(exitFailed, fmt.Errorf("%s is starting, but its start (pid %d) is stopped by a signal (SIGSTOP or SIGTSTP: Ctrl-Z), and its daemon is not running yet: nothing was reopened; reopen it once the start goes on ('kill -CONT %d')",
					paths.Name, st.StartPID, st.StartPID))
			}
			return withCode(exitFailed, fmt.Errorf("%s is starting, and its daemon is not running yet: nothing was reopened; try again", paths.Name))
		}
		return withCode(exitFailed, fmt.Errorf("%s is not running", paths.Name))
	}
	return err
}

// reopenAwait bounds how long reopen waits for the daemon of a start under way to take
// its pidfile (it does within milliseconds; a start stopped by Ctrl-Z may never).
const reopenAwait = 10 * time.Second

// reopen asks the instance at paths to reopen its log, and says so. A start under way
// whose daemon holds no pidfile yet has opened the log it passes the daemon, which a
// logrotate may have moved away meanwhile: reopen waits for that daemon (AwaitDaemon), and
// asks it; not for a start stopped by a signal (Ctrl-Z), whose daemon may never come.
func reopen(ctx context.Context, app *App, paths instance.Paths) error {
	if ctx.Err() != nil { // under --all, an instance whose turn came after the interrupt
		if st, err := instance.Inspect(paths); err == nil && !st.Running() && !st.Starting {
			// Not running: --all skips it, as it would have in its turn.
			return fmt.Errorf("reopen %s: %w", paths.Name, instance.ErrNotRunning)
		}
		return withCode(exitFailed, fmt.Errorf("reopen %s: %v before its turn: nothing was asked", paths.Name, context.Cause(ctx)))
	}
	if st, err := pidfile.Probe(paths.PIDFile); err == nil && st.State != pidfile.Running && paths.StartGoesOn() {
		app.say(app.progressOut(), hclog.Info, "note: ", "reopen "+paths.Name+": it is starting, and its daemon is not running yet: it is asked once it runs")
		var waitErr error
		app.whileWaiting(func() { waitErr = instance.AwaitDaemon(ctx, paths, reopenAwait) })
		if waitErr != nil && ctx.Err() != nil {
			return withCode(exitFailed, fmt.Errorf("reopen %s: it is starting, and reopen gave up waiting for its daemon: %v: nothing was reopened; '%s' asks it once it runs",
				paths.Name, context.Cause(ctx), app.commandFor("reopen", paths)))
		}
		if errors.Is(waitErr, instance.ErrStartUnderWay) {
			return withCode(exitFailed, fmt.Errorf("reopen %s: it is starting, and its daemon is still not running after %v: nothing was reopened; try again", paths.Name, reopenAwait))
		}
		if waitErr != nil {
			return withCode(exitFailed, fmt.Errorf("reopen %s: %w", paths.Name, waitErr))
		}
	}
	asked, err := askReopen(paths)
	if err != nil {
		return err
	}
	pid := asked.pid
	log, err := logPath(paths)
	if asked.rec != nil { // the asked daemon's own: a record read now may be another run's
		log, err = logPathIn(paths, *asked.rec, nil)
	}
	switch {
	case errors.Is(err, errNoLogFile):
		fmt.Fprintf(app.Stdout, "asked %s (pid %d) to reopen its log (SIGUSR1); it has no log file: it logs to its stderr\n", paths.Name, pid)
	case err != nil:
		fmt.Fprintf(app.Stdout, "asked %s (pid %d) to reopen its log (SIGUSR1)\n", paths.Name, pid)
	default:
		// Wait for the daemon to write to the file at the path: logrotate may compress or
		// delete the one it moved once this returns, with a line written there after it.
		var state reopenState
		var why string
		failed := func() string { // a problem recorded since the signal: this reopen's
			if rec, err := instance.ReadRecord(paths.Record); err == nil && rec.Names(pid) {
				if now := outcomeOf(rec); now.failedSince(asked.before) {
					why = now.problem
				}
			}
			return why
		}
		var startTime uint64 // the asked daemon's, as its own record tells it
		if asked.rec != nil {
			startTime = asked.rec.StartTime
		}
		app.whileWaiting(func() { state = awaitReopened(ctx, pid, startTime, asked.logFD, log, reopenWait, failed) })
		fmt.Fprintf(app.Stdout, "asked %s (pid %d) to reopen its log %s (SIGUSR1)\n", paths.Name, pid, showPath(log))
		switch state {
		case reopenLate:
			app.say(app.Config.Stderr, hclog.Warn, "warning: ", fmt.Sprintf("reopen %s: %s", paths.Name, lateReopen(paths.Name, pid, log, app.commandFor("status", paths))))
		case reopenInterrupted: // asked: the daemon goes on, unseen
			return withCode(exitFailed, fmt.Errorf("reopen %s: %v before its daemon (pid %d) wrote to %s: it was asked, and reopens its log on its own; '%s' says whether it did",
				paths.Name, context.Cause(ctx), pid, showPath(log), app.commandFor("status", paths)))
		case reopenGone: // a run since opens the log at its path: nothing is written to the one moved
			app.say(app.Config.Stderr, hclog.Warn, "warning: ", fmt.Sprintf("reopen %s: its daemon (pid %d) ended before it wrote to %s (a stop or a restart meanwhile); '%s' says what runs now",
				paths.Name, pid, showPath(log), app.commandFor("status", paths)))
		case reopenFailed:
			app.say(app.Config.Stderr, hclog.Warn, "warning: ", fmt.Sprintf("reopen %s: its daemon %s ('%s' says so too)", paths.Name, why, app.commandFor("status", paths)))
		}
	}
	return nil
}

// reopenAsked is the daemon a reopen asked, and what its own record (rec: nil if it has
// written none yet) said before it was asked: its descriptor of its log (the same for its
// whole run; 0 if none) and its last reopen's outcome.
type reopenAsked struct {
	pid    int
	rec    *instance.Record
	logFD  int
	before reopenOutcome
}

// testHookReopenLooked, when set by a test, runs when askReopen has looked at the
// instance, before it signals.
var testHookReopenLooked func()

// askReopen sends SIGUSR1 to the daemon of the instance at paths, and returns it with
// what its own record said before it was asked (Inspect's Status.Record): so that the
// wait for its reopen looks at its descriptor, and counts its failures, not those of a
// daemon it replaced (a restart between the look and the signal). A daemon replaced
// meanwhile is not asked; the one in its place is, judged by its own record, in turn. The
// error wraps instance.ErrNotRunning when none runs.
func askReopen(paths instance.Paths) (reopenAsked, error) {
	for range maxReopenLooks {
		st, err := instance.Inspect(paths)
		if err != nil {
			return reopenAsked{}, err // it names the instance
		}
		if !st.Running() {
			return reopenAsked{}, fmt.Errorf("reopen %s: %w", paths.Name, instance.ErrNotRunning)
		}
		var a reopenAsked
		if st.Record != nil {
			a.rec, a.logFD, a.before = st.Record, st.Record.LogFD, outcomeOf(*st.Record)
		}
		if testHookReopenLooked != nil {
			testHookReopenLooked()
		}
		a.pid, err = instance.SignalDaemon(paths, st.PID(), st.StartTime, syscall.SIGUSR1)
		if errors.Is(err, instance.ErrReplaced) {
			continue // a restart meanwhile: ask the daemon in its place
		}
		return a, err
	}
	return reopenAsked{}, fmt.Errorf("reopen %s: its daemon was replaced %d times as it was looked at (restarted again and again): nothing was asked; try again", paths.Name, maxReopenLooks)
}

// maxReopenLooks bounds how many daemons askReopen looks at, each replaced by the next.
const maxReopenLooks = 5

// outcomeOf is what rec says of its daemon's last reopen of its log.
func outcomeOf(rec instance.Record) reopenOutcome {
	return reopenOutcome{problem: rec.LogProblem, failures: rec.LogReopenFailures}
}

// reopenOutcome is what a record says of its daemon's last reopen of its log.
type reopenOutcome struct {
	problem  string // Record.LogProblem: why it failed; "" if it did not
	failures uint64 // Record.LogReopenFailures: how many have failed in this run
}

// failedSince reports whether o, read after a reopen was asked, says that reopen failed,
// where before was read before it was asked: a failure counted since, whatever its text
// (the same as the last one's, within the same second); or, of a daemon of an older
// build, which counts none, a problem whose text changed.
func (o reopenOutcome) failedSince(before reopenOutcome) bool {
	if o.problem == "" {
		return false
	}
	return o.failures > before.failures || o.problem != before.problem
}

// errNoLogFile: the instance logs to its stderr (a foreground start without --log: under
// systemd, to the journal), not to a file.
var errNoLogFile = errors.New("no log file: it logs to its stderr (under systemd, to the journal: journalctl -u UNIT; in a container, to docker logs or kubectl logs)")

// logPath is where the instance at paths logs: the path its record names (start's --log),
// or the log beside the record now if its directory was moved with the log in it
// (movedLog), or, with no record, the default. A record that cannot be read is an error, not the
// default, which would be a guess (another file may be there); so is a record that names
// no log (errNoLogFile).
func logPath(paths instance.Paths) (string, error) {
	rec, err := instance.ReadRecord(paths.Record)
	return logPathIn(paths, rec, err)
}

// logPathIn is logPath of rec, read as the instance's record with err.
func logPathIn(paths instance.Paths, rec instance.Record, err error) (string, error) {
	switch {
	case errors.Is(err, fs.ErrNotExist), err == nil && rec.Program == "": // none, or empty
		return paths.Log, nil
	case err != nil:
		return "", fmt.Errorf("%s: its log is where its record says, and %w; %s", paths.Name, err, unreadableRecordAdvice(paths))
	case rec.Log == "":
		return "", fmt.Errorf("%s has %w", paths.Name, errNoLogFile)
	}
	return movedLog(rec, paths.Record), nil
}
