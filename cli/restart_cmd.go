package cli

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/alecthomas/kong"
	"github.com/hashicorp/go-hclog"
	"golang.org/x/sys/unix"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/internal/limits"
	"github.com/daemonkit/daemonkit/internal/openfiles"
	"github.com/daemonkit/daemonkit/launcher"
	"github.com/daemonkit/daemonkit/logfile"
	"github.com/daemonkit/daemonkit/pidfile"
	"github.com/daemonkit/daemonkit/strategy"
	"github.com/daemonkit/daemonkit/supervisor"
)

// RestartCmd stops an instance and starts it again with the options recorded when it was
// started (<name>.json beside its pidfile). A stopped instance, which keeps its record, is
// started.
type RestartCmd struct {
	InstanceTarget
	Timeout  *time.Duration `placeholder:"DURATION" help:"How long to wait for it to stop before SIGKILL; 0 sends SIGKILL at once if it is not gone (default 10s, or the instance's --shutdown-timeout and 5s more if that is longer; with --graceful, the whole upgrade's bound, default 2m)."`
	All      bool           `help:"Restart every instance of the state directory (stopped ones are started), in parallel, and report each."`
	Graceful bool           `help:"Start a new copy on the same sockets before the old one stops (start --socket): upgrade with the recorded command (the built-in work: with this binary)."`

	given []givenFlag // the program's own flags given, each to equal the recorded value
}

// Validate refuses what cannot be meant.
func (c *RestartCmd) Validate(kctx *kong.Context) error {
	if err := c.takeName(kctx); err != nil {
		return err
	}
	switch {
	case c.Timeout != nil && *c.Timeout < 0:
		return fmt.Errorf("--timeout %s: want a duration of 0 or more", *c.Timeout)
	case c.Graceful && c.Timeout != nil && *c.Timeout == 0:
		return fmt.Errorf("--timeout 0 with --graceful: the new copy would have no time to get ready; give a timeout")
	}
	return c.allOrOne(c.All)
}

// Run restarts the instance, or with --all every instance.
func (c *RestartCmd) Run(app *App) (err error) {
	outcome := watchResult(app, "restart")
	defer func() { err = outcome(err) }()
	defer outliveCaller(app)()
	if c.Graceful {
		if c.All {
			return withCode(exitUsage, fmt.Errorf("--graceful with --all: upgrade one instance at a time"))
		}
		paths, err := c.target(app, "restart")
		if err != nil {
			return err
		}
		within := 2 * time.Minute // upgrade's own default
		if c.Timeout != nil {
			within = *c.Timeout
		}
		res, err := upgrade(app, paths, nil, within)
		if err != nil {
			return err
		}
		return reportUpgrade(app, paths, res)
	}
	ctx, stop := interruptible()
	defer stop()
	defer func() { err = sayInterrupted(app, ctx, err) }() // its stderr may be a pipe nobody reads
	if c.All {
		if err := checkGivenFlagsAll(app, c.given); err != nil {
			return err
		}
		return forEachInstance(ctx, app, "restart", func(app *App, paths instance.Paths) error {
			return restartInstance(ctx, app, paths, c.Timeout, c.given, func() {}) // the others go on
		})
	}
	paths, err := c.target(app, "restart")
	if err != nil {
		return err
	}
	return restartInstance(ctx, app, paths, c.Timeout, c.given, stop)
}

// testHookRestartRead, when set by a test, runs when restartInstance has read the
// record, before it takes the start lock.
var testHookRestartRead func()

// restartInstance reads the record first, so that nothing is stopped that could not be
// started again; then stops the instance if it runs, and starts it. It prints one line
// for the stop, if it ran, and one for the start, which says if it was not running.
// decided is called once the start's outcome is decided, before that line is written: it
// stops catching SIGTERM and SIGINT, so that one ends restart even while it is blocked
// writing to a pipe nobody reads.
// A start or restart of the instance between its read of the record and its start lock
// (a stop and a start, with other options or other ports) has it read the record again,
// under no lock, and check what it reads again: it restarts the run that runs as it takes
// the lock, with that run's options and ports, never an earlier run's.
func restartInstance(ctx context.Context, app *App, paths instance.Paths, timeout *time.Duration, given []givenFlag, decided func()) error {
	for range maxRestartReads {
		if err := restartRecorded(ctx, app, paths, timeout, given, decided); !errors.Is(err, errRecordChanged) {
			return err
		}
	}
	return withCode(exitFailed, fmt.Errorf("restart %s: its record changed %d times while restart read it (started again and again meanwhile): nothing was stopped; try again",
		paths.Name, maxRestartReads))
}

// maxRestartReads bounds how many times restartInstance reads a record that changed
// before it took the start lock.
const maxRestartReads = 5

// sameRun reports whether records a and b tell of the same run with the same options: the
// same daemon (a stop and a start with the same options still resolve --socket's port 0
// anew) and the same request (an upgrade rewrites it).
func sameRun(a, b instance.Record) bool {
	return a.PID == b.PID && a.StartTime == b.StartTime && sameJSON(a.Request, b.Request)
}

// sameJSON reports whether a and b are the same JSON, whatever their spacing (a record
// rewritten by its daemon may be indented otherwise).
func sameJSON(a, b json.RawMessage) bool {
	var ca, cb bytes.Buffer
	if json.Compact(&ca, a) != nil || json.Compact(&cb, b) != nil {
		return bytes.Equal(a, b)
	}
	return bytes.Equal(ca.Bytes(), cb.Bytes())
}

// errRecordChanged is restartRecorded's error when the record it read changed before
// it took the start lock: it stopped and started nothing.
var errRecordChanged = errors.New("its record changed meanwhile")

// restartRecorded is restartInstance with the record as it reads it: errRecordChanged,
// having stopped and started nothing, when the record's request is another by the time it
// holds the start lock.
func restartRecorded(ctx context.Context, app *App, paths instance.Paths, timeout *time.Duration, given []givenFlag, decided func()) error {
	if ctx.Err() != nil { // under --all, an instance whose turn came after the interrupt
		return withCode(exitFailed, fmt.Errorf("restart %s: %v before its turn: nothing was stopped or started", paths.Name, context.Cause(ctx)))
	}
	read, req, desc, err := recordedRequest(app, paths) // read is what req was made of, checked again under the lock
	if err != nil {
		return err
	}
	if testHookRestartRead != nil {
		testHookRestartRead()
	}
	if err := checkGivenFlags(app, req, given); err != nil {
		return err
	}
	if err := formerRunning(app, paths); err != nil { // a restart here would run a second copy beside it
		return withCode(exitFailed, fmt.Errorf("restart %s: %w; nothing was stopped or started", paths.Name, err))
	}
	warnOwnedEnv(app, "restart "+req.Name, req.ProcessFlags)
	if err := detachAsInit(req.Name, "restart", "nothing was stopped; stop it, then start it in the foreground (start without -d)"); err != nil {
		return err
	}
	if lost := limits.Unreachable(req.Limits); len(lost) > 0 {
		// Said before anything is stopped: the new run keeps what it can (its daemon logs it).
		fix := "raise them in the shell that restarts it, or restart it as root"
		if os.Geteuid() == 0 { // root without the capability: a container's, say
			fix = "this root lacks CAP_SYS_RESOURCE (a container's root, say): raise them in the shell that restarts it, or restart it where root has the capability"
		}
		app.say(app.Config.Stderr, hclog.Warn, "", fmt.Sprintf("restart %s: it was started with hard limits above this process's, which only a process with CAP_SYS_RESOURCE may raise, and gets these instead: %s; %s",
			req.Name, strings.Join(lost, "; "), fix))
	}
	const logFix = "stop it and start it again with another --log; nothing was stopped"
	stateDir := ""
	if layout, err := app.layout(false); err == nil {
		stateDir = layout.StateDir
		own := instance.Paths{Name: req.Name, PIDFile: req.PIDFile, Log: req.Log}
		if err := logOfRunning(own, stateDir, logFix); err != nil {
			return err
		}
	}
	if err := makeDirs(instance.Paths{Name: req.Name, PIDFile: req.PIDFile, Log: req.Log}, stateDir); err != nil {
		return withCode(exitFailed, fmt.Errorf("restart %s: %w; nothing was stopped", req.Name, err))
	}
	// One restart (or start) of the instance at a time, from before its stop to its
	// daemon's readiness: a second restart waits for this one and leaves its daemon be, as
	// a second systemctl restart joins the job under way, rather than stop the daemon this
	// one is starting.
	within := startLockWait(req)
	if own, ok := startingRequest(paths); ok {
		within = max(within, startLockWait(&own)) // a start under way, bounded by its own --ready-timeout
	}
	starting, err := instance.BeginStartNoting(ctx, instance.Paths{Name: req.Name, PIDFile: req.PIDFile}, within+stopTimeout(timeout, paths), func(other int) {
		// It may wait as long as that start, seconds: said, or it looks hung (as start says it).
		app.say(app.progressOut(), hclog.Info, "note: ", fmt.Sprintf("restart %s: %s is under way: this restart waits for its outcome", req.Name, otherStart(other)))
	})
	if held := (*pidfile.LockedError)(nil); errors.As(err, &held) {
		decided()
		fmt.Fprintf(app.Stdout, "%s was started meanwhile by another restart or start (pid %d): not restarted again\n", req.Name, held.PID)
		return nil
	}
	if err != nil {
		return withCode(exitFailed, fmt.Errorf("restart %s: %w; nothing was stopped", req.Name, err))
	}
	defer starting.Done()
	if now, err := instance.ReadRecord(paths.Record); err != nil || !sameRun(now, read) {
		return errRecordChanged // a start meanwhile, with its options and ports: read them (an error, again)
	}
	// Its log's claim, before the stop: a log that another instance now writes is refused
	// with the instance still running.
	whole := instance.Paths{Name: req.Name, PIDFile: req.PIDFile, Log: req.Log, Record: req.Record}
	claim, err := claimLog(ctx, stateDir, whole, startLockWait(req), logFix)
	if err != nil {
		return err
	}
	defer claim.Release()
	if err := launchFilesFree(req.Name); err != nil { // with the claim's held: what the launch has
		return err
	}
	// An interrupt (Ctrl-C, a deploy tool's SIGTERM) ends the wait for the stop at once, as
	// it ends stop itself, rather than be held until the stop is done and then call the
	// start off: the daemon, signalled, goes on stopping by its own --shutdown-timeout.
	res, err := stopReport(ctx, app, paths, instance.StopOptions{Signal: syscall.SIGTERM, Timeout: stopTimeout(timeout, paths), Drain: stopDrain(timeout), OwnStart: true, KeepStaleRecord: copiedRecord(paths)}, false, func() {})
	if err != nil && ctx.Err() != nil && errors.Is(err, instance.ErrStillRunning) {
		return withCode(exitFailed, fmt.Errorf("restart %s: %v while it stopped: pid %d goes on stopping, within its --shutdown-timeout, and is not started again: '%s' starts it, once it is gone",
			req.Name, context.Cause(ctx), res.PID, app.commandFor("restart", paths)))
	}
	if err != nil {
		return err
	}
	if ctx.Err() != nil { // stopped, and interrupted before the start
		return withCode(exitFailed, fmt.Errorf("restart %s: %v once it had stopped: not started again: '%s' starts it",
			req.Name, context.Cause(ctx), app.commandFor("restart", paths)))
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
	started, err := launchRequest(ctx, req, desc, app.Log.Named("launch").With("instance", req.Name), launchHeld{start: starting, log: claim, stateDir: stateDir})
	decided()
	if err != nil {
		return restartLaunchError(app, paths, res.WasRunning, err)
	}
	fmt.Fprintf(app.Stdout, "started %s (%spid %d, strategy %s%s, log %s)\n",
		req.Name, was, started.PID, req.Strategy, listenNote(started.Listen, req.Supervise), showPath(req.Log))
	return nil
}

// restartLaunchError is restart's error for err, its start's, once the instance at paths
// was stopped (wasRunning) or found not running: an interrupt that killed the new daemon
// (interruptedStart), or one that came before the launch began, which started nothing;
// else the start's own error (runsFromOriginal). Both interrupts leave the instance not
// running, and say so, and how to start it: "start web: interrupted by SIGTERM" alone
// said neither.
func restartLaunchError(app *App, paths instance.Paths, wasRunning bool, err error) error {
	if errors.Is(err, launcher.ErrCanceled) {
		return interruptedStart(app, paths, wasRunning, err)
	}
	var in interruption
	if errors.As(err, &in) && !errors.Is(err, instance.ErrStartUnderWay) { // that one says what it waited for
		did := "it was not running, and was not started"
		if wasRunning {
			did = "it was stopped, and was not started again"
		}
		return withCode(exitFailed, fmt.Errorf("restart %s: %v before its start began: %s: %s is not running: '%s' starts it",
			paths.Name, in, did, paths.Name, app.commandFor("restart", paths)))
	}
	return runsFromOriginal(app, paths, err)
}

// interruptedStart is restart's error for err, its start's, ended by an interrupt (Ctrl-C,
// SIGTERM: launcher.ErrCanceled) before the new daemon was ready, which the start killed: it names
// restart, says the instance is left not running (wasRunning: restart stopped it first),
// and how to start it; the start's own words (the pid it killed, the last lines of its
// log) follow.
func interruptedStart(app *App, paths instance.Paths, wasRunning bool, err error) error {
	why := err
	var ee *exitError
	if errors.As(err, &ee) && ee.err != nil {
		why = ee.err
	}
	// The launcher's words, without "start NAME: "; the log's last lines follow the first.
	head, tail, _ := strings.Cut(strings.TrimPrefix(why.Error(), "start "+paths.Name+": "), "\n")
	did := "it was not running, and its start"
	if wasRunning {
		did = "it was stopped, and its start again"
	}
	msg := fmt.Sprintf("restart %s: %s was %s: %s is not running: '%s' starts it",
		paths.Name, did, head, paths.Name, app.commandFor("restart", paths))
	if tail != "" {
		msg += "\n" + tail
	}
	return withCode(exitFailed, errors.New(msg))
}

// outliveCaller keeps the caller's going away from ending this process until the function
// it returns is called: a hang-up (SIGHUP: the terminal closed), and a write to an output
// whose reader is gone (SIGPIPE: an ssh session without a terminal dropped, a pipe into
// something that ended). A restart ended so between its stop and its start would leave the
// instance down without a word, where the daemon of a start -d hung up goes on to be ready
// on its own (as systemctl's restart job goes on without its client). With nobody left to
// tell, restart finishes its work; its writes fail instead (watchResult). The signals are
// caught and dropped, not ignored, so the programs started meanwhile get the default back
// at exec; one ignored already (nohup) stays so. In a process that ends with the command
// (Main's), SIGPIPE stays caught: the error or the note that the result could not be
// written, printed once the command has returned, would otherwise end it by SIGPIPE where
// stderr is the same dead pipe, its work done.
func outliveCaller(app *App) (release func()) {
	c := make(chan os.Signal, 2)
	pipe := make(chan os.Signal, 1)
	if !signal.Ignored(syscall.SIGHUP) {
		signal.Notify(c, syscall.SIGHUP)
	}
	if !signal.Ignored(syscall.SIGPIPE) {
		signal.Notify(pipe, syscall.SIGPIPE)
	}
	return func() {
		signal.Stop(c)
		if !app.Config.ownsProcess {
			signal.Stop(pipe)
		}
	}
}

// launchFilesFree refuses, before restart stops instance name, a restart whose start would
// surely fail for want of descriptors (ulimit -n too low): fewer are free than every
// launch holds at once (launcher.LaunchFiles). It refuses no more than that: a restart it
// lets through may still fail so, where the strategy or the supervisor needs more.
func launchFilesFree(name string) error {
	free, err := openfiles.Free(launcher.LaunchFiles)
	if err == nil {
		return nil
	}
	return withCode(exitFailed, fmt.Errorf("restart %s: its start needs at least %d descriptors free at once, and only %d could be opened: %w; nothing was stopped",
		name, launcher.LaunchFiles, free, launcher.ExplainLimit(err)))
}

// runsFromOriginal adds to err, a start's refusal because the instance already runs
// (exit 3), where its record lies in a copy of the directory its daemon runs from
// (copyNote), that this directory is a copy, and restart's line for it there. Any other
// error it returns as it is.
func runsFromOriginal(app *App, paths instance.Paths, err error) error {
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != exitAlreadyUp || ee.err == nil {
		return err
	}
	if note := copyNote(app, paths, "restart"); note != "" {
		return withCode(exitAlreadyUp, fmt.Errorf("%w: %s", ee.err, note))
	}
	return err
}

// startAgain is the command line that starts the instance at paths with -d, running
// command, the program it ran, or the program's own work if there is none.
func startAgain(app *App, paths instance.Paths, command []string) string {
	if len(command) == 0 {
		return app.commandFor("start", paths) + " -d"
	}
	return app.commandFor("start", paths) + " -d -- " + adviceJoin(command)
}

// pidfileNamedByOther is the one other instance of this program whose record beside the
// pidfile of paths names it (--name web --pidfile /run/app.pid, stopped, then restart
// --pidfile /run/app.pid, whose base name has no record), or "" if none, or more than one,
// does. Such a record tells what ran there, not what the caller meant: app may be a new
// instance whose first start failed, which records nothing.
func pidfileNamedByOther(app *App, paths instance.Paths) string {
	names, complete := instance.PIDFileNamedBy(paths.PIDFile)
	names = slices.DeleteFunc(names, func(name string) bool {
		return name == paths.Name || startedByOther(app, filepath.Join(filepath.Dir(paths.PIDFile), name+".json"))
	})
	if !complete || len(names) != 1 {
		return ""
	}
	return names[0]
}

// recordedRequest reads how the instance at paths was started, and checks it is this
// program's and names a strategy this binary has. It returns the record it read, of
// which the request is made: one read, which a caller checks again against the record
// once it holds the start lock.
func recordedRequest(app *App, paths instance.Paths) (instance.Record, *request, strategy.Descriptor, error) {
	rec, err := instance.ReadRecord(paths.Record)
	// None (a file where the state directory was holds none either: a daemon found by its
	// lock alone is told as such), or an empty file.
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) || err == nil && rec.Program == "" {
		st, ierr := instance.Inspect(paths)
		switch {
		case ierr == nil && st.Starting:
			return instance.Record{}, nil, strategy.Descriptor{}, fmt.Errorf("%s is starting, and its first start is recorded once it is ready: restart it then, or stop it ('%s')", paths.Name, app.commandFor("stop", paths))
		case ierr == nil && errors.Is(st.RecordErr, instance.ErrBadRecord):
			// A running daemon's record emptied (Inspect): no start to advise, it runs.
			return instance.Record{}, nil, strategy.Descriptor{}, fmt.Errorf("%w: %s", st.RecordErr, unreadableRecordAdvice(paths))
		}
		if note := elsewhereNote(app, paths, "restart"); note != "" { // a start here would run a second copy
			return instance.Record{}, nil, strategy.Descriptor{}, fmt.Errorf("no record of how %s was started (%s), but %s", paths.Name, paths.Record, note)
		}
		start := app.commandFor("start", paths)
		if ierr == nil && st.Unlocked && st.Record.ByLock { // a start would say it runs: stop it first
			return instance.Record{}, nil, strategy.Descriptor{}, fmt.Errorf("no record of how %s was started (%s): it runs (pid %d), found by the lock it holds on its deleted pidfile: stop it ('%s'), then start it with '%s -d' (%s's own work) or '%s -d -- PROG [ARGS...]' (a program)",
				paths.Name, paths.Record, st.PID(), app.commandFor("stop", paths), start, app.Config.Name, start)
		}
		err := fmt.Errorf("no record of how %s was started (%s): start it with '%s -d' (%s's own work) or '%s -d -- PROG [ARGS...]' (a program)",
			paths.Name, paths.Record, start, app.Config.Name, start)
		if owner := pidfileNamedByOther(app, paths); owner != "" {
			err = fmt.Errorf("%w; or, if you meant %s, whose record names that pidfile, restart it with '%s'",
				err, owner, app.commandFor("restart", instance.Paths{Name: owner, PIDFile: paths.PIDFile}))
		}
		return instance.Record{}, nil, strategy.Descriptor{}, err
	}
	if errors.Is(err, instance.ErrBadRecord) { // nothing to start again from: say what to do
		return instance.Record{}, nil, strategy.Descriptor{}, fmt.Errorf("%w: %s", err, unreadableRecordAdvice(paths))
	}
	if err != nil {
		return instance.Record{}, nil, strategy.Descriptor{}, err
	}
	if unit := unitOf(paths); unit.Name != "" {
		return instance.Record{}, nil, strategy.Descriptor{}, fmt.Errorf("%s runs as systemd's %s, which started it and starts it again: restart it with '%s'", paths.Name, unit.Name, unit.command("restart"))
	}
	if unit := recordedUnit(rec); unit.Name != "" && rec.Strategy == "" {
		return instance.Record{}, nil, strategy.Descriptor{}, fmt.Errorf("%s ran as systemd's %s, which starts it (a start of %s's own would run it beside the service): start it again with '%s'", paths.Name, unit.Name, app.Config.Name, unit.command("restart"))
	}
	if rec.Program == app.Config.Name && (len(rec.Request) == 0 || rec.Strategy == "") { // a foreground's may keep its --reload-check
		return instance.Record{}, nil, strategy.Descriptor{}, fmt.Errorf("%s was started in the foreground, which records no way to start it again: start it with '%s'", paths.Name, startAgain(app, paths, rec.Command))
	}
	if rec.Program != app.Config.Name {
		return instance.Record{}, nil, strategy.Descriptor{}, fmt.Errorf("%s was started by %q, not by %s: restart it with that program", paths.Name, rec.Program, app.Config.Name)
	}
	var req request
	if err := json.Unmarshal(rec.Request, &req); err != nil {
		return instance.Record{}, nil, strategy.Descriptor{}, fmt.Errorf("record %s: %w", paths.Record, err)
	}
	req.movedTo(paths.Record)
	if restored := req.restoreDropped(); len(restored) > 0 {
		app.say(app.Config.Stderr, hclog.Warn, "", fmt.Sprintf("restart %s: its record, last written by an older %s (a rollback), lacked %s, which start was given: restored",
			paths.Name, app.Config.Name, strings.Join(restored, ", ")))
	}
	desc, err := strategy.Lookup(req.Strategy)
	if err != nil {
		return instance.Record{}, nil, strategy.Descriptor{}, fmt.Errorf("record %s: %w", paths.Record, err)
	}
	if req.Supervise != nil {
		keepResolvedPorts(req.Supervise.Socket, rec.Sockets)
	} else {
		keepResolvedPorts(req.Socket, rec.Sockets)
	}
	// The binary the work on --socket runs, as the daemon side does: the one recorded at
	// start may be gone (go run's, a binary moved).
	req.Exe = currentExecutable()
	warn := func(msg string) { app.say(app.Config.Stderr, hclog.Warn, "warning: ", "restart "+paths.Name+": "+msg) }
	if err := req.startable(startDirBound(app.Config), warn); err != nil { // before restart stops anything it could not start again
		return instance.Record{}, nil, strategy.Descriptor{}, fmt.Errorf("restart %s: %w; nothing was stopped", paths.Name, err)
	}
	return rec, &req, desc, nil
}

// startable checks what a start of req would find missing only after restart had stopped
// the instance: a log path that clashes (checkLog) or whose directory is now a file, a
// working directory removed since (or one the work's user may not enter), the directory
// start was typed in when the program's own flags are parsed there again, env files that
// cannot be read (a relative path recorded by an older build, a file since removed), an
// environment (env files as they are now) that the daemon's exec could not take, as the
// launcher checks it (launcher.CheckExec: a variable over 128 KiB, or too much in all),
// and a supervised program that cannot be found in its environment's PATH: the one it was
// started with (ProcessFlags.Inherited), unless --env gives one.
func (req *request) startable(dirBound bool, warn func(string)) error {
	if err := req.checkLog(); err != nil {
		return err
	}
	if at := notADirectory(filepath.Dir(req.Log)); req.Log != "" && at != "" {
		return fmt.Errorf("its log %s: %s: make it a directory again, or stop it and start it again with another --log", req.Log, notADirectoryText(filepath.Dir(req.Log), at, false))
	}
	if err := logOpenable(req.Log); err != nil {
		return fmt.Errorf("its log: %w", err)
	}
	if err := notDir(req.Workdir); err != nil {
		return fmt.Errorf("its working directory %s: %w (create it again, or stop it and start it again with another --workdir)", req.Workdir, err)
	}
	if err := req.checkWorkdir(); err != nil {
		return err
	}
	if err := req.checkCwd(dirBound, warn); err != nil {
		return err
	}
	spec, err := req.daemonSpec(strings.Repeat("0", 32)) // a mark as long as the run's own
	if err != nil {
		return err
	}
	if err := launcher.CheckExec(spec); err != nil {
		return err
	}
	if err := req.checkFiles(); err != nil {
		return err
	}
	env := spec.Env
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

// logOpenable is why the start of a restart could not open its log at path, as the
// launcher opens it, found before the stop: a file since made another user's or
// read-only (a file system remounted so), or, where there is none yet, a directory this
// user may no longer write. nil for no log, or one that keeps nothing.
func logOpenable(path string) error {
	if path == "" || logfile.Discards(path) {
		return nil
	}
	f, err := logfile.OpenExisting(path)
	if err == nil {
		return f.Close()
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	dir := filepath.Dir(path)
	if err := unix.Access(dir, unix.W_OK|unix.X_OK); err != nil && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("%w: make %s writable again, or stop the instance and start it again with another --log",
			&fs.PathError{Op: "create log in", Path: dir, Err: err}, dir)
	}
	return nil
}

// checkFiles checks, as the start would, the files the instance makes outside its state
// directory (a unix socket's directory, the child pidfile's): a directory refused since
// it was started (another user's now, gone) would otherwise stop it and leave it down.
func (req *request) checkFiles() error {
	var sf SuperviseFlags
	command := []string{req.Name}
	switch {
	case req.Supervise != nil:
		sf, command = req.Supervise.SuperviseFlags, req.Supervise.Command
	case len(req.Socket) > 0:
		sf = SuperviseFlags{Socket: req.Socket}
	default:
		return nil
	}
	// A record of a build before they were made absolute at start may keep them relative,
	// which the daemon takes from its working directory, not restart's: not checked here.
	if !filepath.IsAbs(sf.ChildPIDFile) {
		sf.ChildPIDFile = ""
	}
	sf.Socket = slices.DeleteFunc(slices.Clone(sf.Socket), func(spec string) bool {
		sk, err := supervisor.ParseSocket(spec)
		return err != nil || sk.Network == "unix" && !filepath.IsAbs(sk.Address)
	})
	paths := instance.Paths{Name: req.Name, PIDFile: req.PIDFile, Log: req.Log, Record: req.Record}
	sc := sf.supervisorConfig(command, paths, req.ShutdownTimeout, true)
	cred, err := req.credential()
	if err != nil {
		return err
	}
	sc.Credential = cred
	return supervisor.CheckFiles(sc)
}

// checkCwd makes sure the directory start was typed in is still there, where the daemon
// parses start's arguments again: it must be, for the program's Config.Flags whose
// meaning depends on where they are parsed (dirBound: startDirBound), whose relative
// paths mean what they meant there. Words of the program's own before start (a program
// that parses them with the flag package, Kong or cobra: ownWordsBeforeStart) are parsed
// again where the daemon runs instead, with a warning (warn): most hold no path, and a
// per-deploy release directory start was typed in is pruned in time; the warning says
// how a relative path among them would go wrong, and how to avoid it. Without such
// flags, daemonkit's own arguments hold no relative path (start made each absolute), and
// the daemon parses them in its working directory instead, as when start's was gone
// already: daemonkit's own built-in server's flags, an address and a duration, do not
// keep a restart from wherever start was typed.
func (req *request) checkCwd(dirBound bool, warn func(string)) error {
	if req.Cwd == "" {
		return nil
	}
	err := notDir(req.Cwd)
	switch {
	case err == nil:
		return nil
	case dirBound && hasProgramFlags(req.Flags):
		return fmt.Errorf("the directory start was typed in, %s, where the program's own flags are parsed again: %w (create it again, or stop it and start it again from another directory)", req.Cwd, err)
	case dirBound && ownWordsBeforeStart(req.Args):
		warn(fmt.Sprintf("the directory start was typed in, %s, is gone (%v): the program's own flags given before start are parsed again in %s instead, where a relative path among them would name another file; to avoid it, start it from a directory that stays, or give such flags absolute paths",
			req.Cwd, err, cmp.Or(req.Workdir, "/")))
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
