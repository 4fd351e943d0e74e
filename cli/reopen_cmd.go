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
	problem := func() (reopenOutcome, instance.Record) { // what the record says of the log's last reopen
		rec, err := instance.ReadRecord(paths.Record)
		if err != nil {
			return reopenOutcome{}, instance.Record{}
		}
		return reopenOutcome{problem: rec.LogProblem, failures: rec.LogReopenFailures}, rec
	}
	before, rec := problem()
	logFD := rec.LogFD // the daemon's own descriptor of its log, the same for its whole run
	pid, err := instance.Signal(paths, syscall.SIGUSR1)
	if err != nil {
		return err
	}
	log, err := logPath(paths)
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
			if now, _ := problem(); now.failedSince(before) {
				why = now.problem
			}
			return why
		}
		app.whileWaiting(func() { state = awaitReopened(ctx, pid, logFD, log, reopenWait, failed) })
		fmt.Fprintf(app.Stdout, "asked %s (pid %d) to reopen its log %s (SIGUSR1)\n", paths.Name, pid, showPath(log))
		switch state {
		case reopenLate:
			app.say(app.Config.Stderr, hclog.Warn, "warning: ", fmt.Sprintf("reopen %s: %s", paths.Name, lateReopen(paths.Name, pid, log, app.commandFor("status", paths))))
		case reopenInterrupted: // asked: the daemon goes on, unseen
			return withCode(exitFailed, fmt.Errorf("reopen %s: %v before its daemon (pid %d) wrote to %s: it was asked, and reopens its log on its own; '%s' says whether it did",
				paths.Name, context.Cause(ctx), pid, showPath(log), app.commandFor("status", paths)))
		case reopenFailed:
			app.say(app.Config.Stderr, hclog.Warn, "warning: ", fmt.Sprintf("reopen %s: its daemon %s ('%s' says so too)", paths.Name, why, app.commandFor("status", paths)))
		}
	}
	return nil
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
