package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/alecthomas/kong"
	"github.com/hashicorp/go-hclog"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/internal/openfiles"
	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/daemonkit/daemonkit/pidfile"
	"github.com/daemonkit/daemonkit/server"
)

// StopCmd stops a daemon: it signals the pidfile's lock holder, never the file's content
// alone, and returns the moment the process is gone.
type StopCmd struct {
	InstanceTarget
	Signal  signalName     `default:"TERM" placeholder:"SIG" help:"The signal that asks it to stop: TERM, INT, QUIT or KILL, with or without SIG (default ${default})."`
	Timeout *time.Duration `placeholder:"DURATION" help:"How long to wait for it to stop before SIGKILL; 0 sends SIGKILL at once if it is not gone (default 10s, or the instance's --shutdown-timeout and 5s more if that is longer)."`
	NoKill  bool           `help:"Never SIGKILL: if it is still running after --timeout, say so and exit 1."`
	All     bool           `help:"Stop every instance of the state directory, in parallel, and report each."`
}

// Validate refuses what cannot be meant.
func (c *StopCmd) Validate(kctx *kong.Context) error {
	if err := c.takeName(kctx); err != nil {
		return err
	}
	switch {
	case notStopping[syscall.Signal(c.Signal)] != "":
		return fmt.Errorf("--signal %s does not stop a daemon: it %s; give TERM (the default), INT, QUIT or KILL",
			signalLabel(syscall.Signal(c.Signal)), notStopping[syscall.Signal(c.Signal)])
	case c.Timeout != nil && *c.Timeout < 0:
		return fmt.Errorf("--timeout %s: want a duration of 0 or more", *c.Timeout)
	case c.Timeout != nil && *c.Timeout == 0 && c.NoKill:
		return fmt.Errorf("--timeout 0 with --no-kill: nothing would wait for it to stop; give a timeout")
	}
	return c.allOrOne(c.All)
}

// notStopping says what the signals --signal takes, but which never stop a daemon, do
// instead: stop would only wait for its timeout, then SIGKILL.
var notStopping = map[syscall.Signal]string{
	syscall.SIGHUP:  "reloads it ('reload' sends it)",
	syscall.SIGUSR1: "reopens its log ('reopen' sends it)",
	syscall.SIGUSR2: "is passed on to a supervised program, which the supervisor restarts if it ends of it",
}

// Run stops the instance (or, with --all, every instance) and says how it went.
func (c *StopCmd) Run(app *App) (err error) {
	outcome := watchResult(app, "stop")
	// An interrupt (Ctrl-C, a deploy tool's SIGTERM) ends the wait at once, says what it
	// leaves (a daemon that goes on stopping, without the SIGKILL of this stop), and ends
	// stop by the signal, as it ended it before: a script running it ends too.
	ctx, stop := interruptible()
	defer func() {
		stop()
		err = outcome(err)
		dieByInterruption(app, ctx, err)
	}()
	options := func(paths instance.Paths) instance.StopOptions {
		return instance.StopOptions{Signal: syscall.Signal(c.Signal), Timeout: stopTimeout(c.Timeout, paths), Drain: stopDrain(c.Timeout), NoKill: c.NoKill, KeepStaleRecord: copiedRecord(paths)}
	}
	if c.All {
		return forEachInstance(ctx, app, "stop", func(app *App, paths instance.Paths) error {
			return stopInstance(ctx, app, paths, options(paths), false, func() {}) // the others go on
		})
	}
	paths, err := c.target(app, "stop")
	if err != nil {
		return err
	}
	return stopInstance(ctx, app, paths, options(paths), true, stop)
}

// defaultStopTimeout is how long stop and restart wait before SIGKILL, at least.
const defaultStopTimeout = 10 * time.Second

// stopTimeout is how long to wait for the instance at paths to stop before SIGKILL: given,
// if --timeout was (0 meaning SIGKILL at once if it is not gone), else defaultStopTimeout
// or, if longer, as long as the daemon may itself take (its recorded --shutdown-timeout and
// server.KillGrace), so that a stop never cuts short a drain the daemon was started to
// allow, nor kills a supervisor while it kills what its program left. A daemon still
// starting has not written its record yet (the record is an earlier run's, or none): its
// --shutdown-timeout is its request's (startingRequest).
func stopTimeout(given *time.Duration, paths instance.Paths) time.Duration {
	if given != nil {
		return max(*given, time.Nanosecond) // instance.Stop waits for ever on 0
	}
	rec, err := instance.ReadRecord(paths.Record)
	d := time.Duration(0)
	if err == nil {
		d = recordedShutdownTimeout(rec)
	}
	if own, ok := startingRequest(paths); ok && own.ShutdownTimeout > 0 {
		d = own.ShutdownTimeout
	}
	return drainTimeout(d)
}

// drainTimeout is how long a stop waits before SIGKILL, unless told, for a daemon started
// with --shutdown-timeout d (0 if unknown): defaultStopTimeout, or d and server.KillGrace
// if longer.
func drainTimeout(d time.Duration) time.Duration {
	if d > 0 {
		return max(defaultStopTimeout, d+server.KillGrace)
	}
	return defaultStopTimeout
}

// stopDrain is instance.StopOptions.Drain for a stop given --timeout (nil if not): none
// when it was, since the user's timeout holds; else the drainTimeout of the record's
// daemon, which a daemon still starting when it is signalled writes as it begins to drain
// (a foreground start's request cannot be read from outside, as start -d's is).
func stopDrain(given *time.Duration) func(instance.Record) time.Duration {
	if given != nil {
		return nil
	}
	return func(rec instance.Record) time.Duration { return drainTimeout(recordedShutdownTimeout(rec)) }
}

// startingRequest is the request that the daemon of the instance at paths was started
// with, when it holds the pidfile but its record does not name it (it is starting: it has
// written none yet), read from the environment it was executed with (requestEnv, which it
// takes out of its own only once it runs); false when none is starting, or that cannot be
// read (not this user's, a foreground start, not a daemonkit daemon).
func startingRequest(paths instance.Paths) (request, bool) {
	st, err := pidfile.Probe(paths.PIDFile)
	if err != nil || st.State != pidfile.Running {
		return request{}, false
	}
	if rec, err := instance.ReadRecord(paths.Record); err == nil && rec.PID == st.PID {
		return request{}, false
	}
	return daemonRequest(st.PID)
}

// daemonRequest is the request in the environment the daemon pid was executed with.
func daemonRequest(pid int) (request, bool) {
	raw, ok := proc.Getenv(pid, requestEnv)
	if !ok {
		return request{}, false
	}
	for i := 1; ; i++ { // withRequest's continuations
		part, ok := proc.Getenv(pid, requestEnv+"_"+strconv.Itoa(i))
		if !ok {
			break
		}
		raw += part
	}
	var req request
	if json.Unmarshal([]byte(raw), &req) != nil {
		return request{}, false
	}
	return req, true
}

// recordedShutdownTimeout is the --shutdown-timeout the record's daemon was started with:
// the record's own, or, where the record has none, its request's. A daemonkit before
// 2026-11-26 16:49 kept it in the request alone, and a daemon it started runs on after an
// upgrade: its drain is as long as it was told. 0 when neither says.
func recordedShutdownTimeout(rec instance.Record) time.Duration {
	if rec.ShutdownTimeout > 0 {
		return rec.ShutdownTimeout
	}
	var req request
	if json.Unmarshal(rec.Request, &req) != nil {
		return 0
	}
	return req.ShutdownTimeout
}

// stopInstance stops the instance at paths and prints what happened, and warns when it ran
// as a systemd service's ExecStart= (see unitOf), which systemd may start again. An
// interrupt that ends ctx ends its wait (interruptedStop); decided is called once the stop
// is over, before its line is written (stopReport). named says the user named it (not
// --all): one not running in the state directory while an instance of its name runs with
// its pidfile elsewhere is then an error (stopsNothingElsewhere).
func stopInstance(ctx context.Context, app *App, paths instance.Paths, o instance.StopOptions, named bool, decided func()) error {
	if ctx.Err() != nil { // under --all, an instance whose turn came after the interrupt
		if nothingRuns(paths) { // stopped as it is: no stop it missed
			fmt.Fprintf(app.Stdout, "%s was not running\n", paths.Name)
			return nil
		}
		return withCode(exitFailed, fmt.Errorf("stop %s: %v before its turn: nothing was sent to it", paths.Name, context.Cause(ctx)))
	}
	unit := unitOf(paths)
	res, err := reportStop(ctx, app, paths, o, true, named, decided)
	if err != nil && ctx.Err() != nil {
		return interruptedStop(ctx, app, paths, res, err)
	}
	if err == nil && res.WasRunning && unit.Name != "" {
		app.say(app.Config.Stderr, hclog.Warn, "warning: ", fmt.Sprintf("%s ran as systemd's %s, which starts it again if its Restart= says so, else takes it for stopped: stop, start and restart it with '%s'",
			paths.Name, unit.Name, unit.command("stop|start|restart")))
	}
	return err
}

// nothingRuns reports whether a look at the instance at paths, as status takes it (no
// signal, nothing changed on disk), finds nothing of it running: no daemon, no start under
// way, nothing its last run left running. False where that cannot be told.
func nothingRuns(paths instance.Paths) bool {
	st, rec, recErr, err := instance.InspectLastRun(paths)
	return err == nil && recErr == nil && !st.Running() && !st.Starting &&
		(rec == nil || len(instance.Leftovers(paths, *rec)) == 0)
}

// stopReport stops the instance at paths and prints what happened, or, when it was not
// running, prints that only if tellNotRunning. It returns what Stop did. A ctx that ends
// first ends the wait, as instance.Stop says: the error wraps instance.ErrStillRunning.
// decided is called once Stop has returned, before anything is written: stop's stops
// catching SIGINT and SIGTERM, so that one ends stop even while it is blocked writing to
// a pipe nobody reads.
func stopReport(ctx context.Context, app *App, paths instance.Paths, o instance.StopOptions, tellNotRunning bool, decided func()) (instance.StopResult, error) {
	return reportStop(ctx, app, paths, o, tellNotRunning, false, decided)
}

// reportStop is stopReport; named (with tellNotRunning) makes a name not running in the
// state directory, while an instance of that name runs with its pidfile elsewhere, an
// error (stopsNothingElsewhere), as stop NAME says it.
func reportStop(ctx context.Context, app *App, paths instance.Paths, o instance.StopOptions, tellNotRunning, named bool, decided func()) (instance.StopResult, error) {
	res, err := instance.Stop(ctx, paths, o)
	decided()
	if err != nil && !res.WasRunning && !errors.Is(err, pidfile.ErrNotPidfile) && !errors.Is(err, instance.ErrStillRunning) && !errors.Is(err, instance.ErrStartUnderWay) &&
		!errors.Is(err, instance.ErrUnprovenHolder) { // a holder it waited for already: a second look would wait again
		if st, ierr := instance.Inspect(paths); ierr == nil && !st.Running() {
			// Nothing runs: stop's work is done, whatever is left on disk.
			if tellNotRunning {
				fmt.Fprintf(app.Stdout, "%s was not running\n", paths.Name)
			}
			warnStop(app, err)
			return res, nil
		}
	}
	if err != nil {
		return res, err // instance.Stop names the instance and what failed
	}
	switch {
	case !res.WasRunning && !tellNotRunning:
	case !res.WasRunning && res.RemovedStale:
		fmt.Fprintf(app.Stdout, "%s was not running (removed stale pidfile %s)\n", paths.Name, showPath(paths.PIDFile))
		if err := stopsNothingElsewhere(app, paths, named); err != nil {
			return res, err
		}
		noteElsewhere(app, paths, "stop")
	case !res.WasRunning:
		if err := stopsNothingElsewhere(app, paths, named); err != nil {
			return res, err
		}
		fmt.Fprintf(app.Stdout, "%s was not running\n", paths.Name)
		noteElsewhere(app, paths, "stop")
	case res.Killed && o.Timeout <= time.Nanosecond:
		fmt.Fprintf(app.Stdout, "stopped %s (pid %d) in %s: it was not gone at once, so SIGKILL (--timeout 0)\n",
			paths.Name, res.PID, roundDuration(res.Elapsed))
	case res.Killed:
		fmt.Fprintf(app.Stdout, "stopped %s (pid %d) in %s: SIGKILL was needed after %s\n",
			paths.Name, res.PID, roundDuration(res.Elapsed), res.KilledAfter)
	default:
		fmt.Fprintf(app.Stdout, "stopped %s (pid %d) in %s%s\n", paths.Name, res.PID, roundDuration(res.Elapsed), stopCutShort(paths, res))
	}
	if len(res.Leftovers) > 0 {
		fmt.Fprintf(app.Stdout, "killed %s that %s's last run left running\n", pidList(res.Leftovers), paths.Name)
	}
	if res.NotCleanedUp != nil { // it is gone: stop did its job
		warnStop(app, res.NotCleanedUp)
	}
	return res, nil
}

// stopCutShort is what stop adds when the daemon of res did not end its work cleanly, as
// its record says once it is gone: its drain was cut short (instance.DrainCutShort), or,
// a supervisor, it had to kill its program (SIGKILL) because it did not stop within its
// --shutdown-timeout. A stop that took that long lost the work's own clean end, and
// "stopped" alone would hide it. "" otherwise.
func stopCutShort(paths instance.Paths, res instance.StopResult) string {
	rec, err := instance.ReadRecord(paths.Record)
	if err != nil || rec.PID != res.PID || rec.State != instance.StateStopped {
		return ""
	}
	if why, cut := rec.CutShort(); cut {
		return ": its drain was cut short " + why + ": what it still served was cut off"
	}
	if rec.LastExit != "stopped: killed by signal 9 (SIGKILL)" ||
		rec.ShutdownTimeout <= 0 || res.Elapsed < rec.ShutdownTimeout { // sooner: another SIGKILL (the program's own, a kill -9), not the supervisor's
		return ""
	}
	return fmt.Sprintf(": its program did not stop within its --shutdown-timeout (%s), and its supervisor killed it (SIGKILL)", roundDuration(rec.ShutdownTimeout))
}

// interruptedStop is stop's error when an interrupt (context.Cause(ctx)) ended its wait
// for the instance at paths, err the wait's: what the instance is left doing, and how to
// wait for it again or kill it. A daemon sent its signal goes on stopping on its own, as
// far as its --shutdown-timeout lets it; the SIGKILL of stop's --timeout is not sent.
func interruptedStop(ctx context.Context, app *App, paths instance.Paths, res instance.StopResult, err error) error {
	again := app.commandFor("stop", paths)
	switch {
	case errors.Is(err, instance.ErrStillRunning) && res.PID > 0 && res.Killed:
		return withCode(exitFailed, fmt.Errorf("stop %s: %v while it stopped: pid %d was sent SIGKILL, and is not gone yet: '%s' waits for it again",
			paths.Name, context.Cause(ctx), res.PID, again))
	case errors.Is(err, instance.ErrStillRunning) && res.PID > 0:
		return withCode(exitFailed, fmt.Errorf("stop %s: %v while it stopped: pid %d goes on stopping, within its --shutdown-timeout, and gets no SIGKILL from this stop: '%s' waits for it again, '%s --timeout 0' kills it now",
			paths.Name, context.Cause(ctx), res.PID, again, again))
	case errors.Is(err, instance.ErrStartUnderWay):
		return withCode(exitFailed, fmt.Errorf("%w: nothing was sent to it: '%s' stops it once it runs", err, again)) // err names the interrupt
	}
	return withCode(exitFailed, fmt.Errorf("%w (%v): '%s' tries again", err, context.Cause(ctx), again))
}

// warnStop prints err, what a stop that did its job (nothing of the instance runs) left
// undone on disk, as a warning: with the limit on open files that refused it and the fix,
// as every error of a command gives them (Config.outcome).
func warnStop(app *App, err error) {
	app.say(app.Config.Stderr, hclog.Warn, "warning: ", openfiles.Explain(err, "").Error())
}

// noteElsewhere says on stderr where an instance that command (stop, logs) found not
// running at paths runs all the same (elsewhereNote, with command's flags after), if it
// does.
func noteElsewhere(app *App, paths instance.Paths, command string, after ...string) {
	if note := elsewhereNote(app, paths, command, after...); note != "" {
		app.say(app.Config.Stderr, hclog.Info, "note: ", note)
	}
}

// stopsNothingElsewhere is the error (exit 1) of a stop of a name that is not running in
// the state directory, paths, while an instance of that name runs with the pidfile its
// start was given elsewhere (--pidfile run/web.pid, typed in another directory): "was not
// running", exit 0, would tell a script that web is stopped while it serves on. That
// instance is one of its own (its record is beside its pidfile), so this stop does not
// signal it: the error names the stop that does. nil when none runs so, when the name was
// not given (named false: stop --all, whose instances are the state directory's), and when
// the state directory has an instance of that name of its own, a record or a start lock
// (ownsName): the user may have meant that one, which is stopped, and a second stop of it
// says "was not running" (exit 0) with the note, as stop always did.
func stopsNothingElsewhere(app *App, paths instance.Paths, named bool) error {
	if !named || ownsName(paths) {
		return nil
	}
	found := runsElsewhere(app, paths)
	if len(found) == 0 {
		return nil
	}
	return withCode(exitFailed, fmt.Errorf("stop %s: %s is not running in %s, but %s; nothing was stopped",
		paths.Name, paths.Name, filepath.Dir(paths.PIDFile), elsewhereText(app, paths, "stop", found)))
}

// ownsName reports whether the state directory, at paths, has an instance of paths' name
// of its own: its record (any, even one that cannot be read, or a copy's) or its start
// lock is there.
func ownsName(paths instance.Paths) bool {
	for _, f := range []string{paths.Record, paths.StartLock()} {
		if _, err := os.Lstat(f); err == nil || !errors.Is(err, fs.ErrNotExist) {
			return true
		}
	}
	return false
}
