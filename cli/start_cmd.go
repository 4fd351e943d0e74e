package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/internal/limits"
	"github.com/daemonkit/daemonkit/internal/mainthread"
	"github.com/daemonkit/daemonkit/launcher"
	"github.com/daemonkit/daemonkit/logfile"
	"github.com/daemonkit/daemonkit/notify"
	"github.com/daemonkit/daemonkit/pidfile"
	"github.com/daemonkit/daemonkit/server"
	"github.com/daemonkit/daemonkit/strategy"
	"github.com/daemonkit/daemonkit/supervisor"
	"github.com/hashicorp/go-hclog"
)

// StartCmd starts the program's work, or with -- CMD another program under supervision:
// in the foreground, or with -d as a daemon that is ready when start returns.
type StartCmd struct {
	Detach bool `short:"d" help:"Run as a daemon: return only once it holds its pidfile and is ready."`
	StartOptions

	optioned bool // the grammar is given daemonkit's options (see Help)
}

// StartOptions are start's options but -d, which unit takes too: how the instance runs,
// and the program to supervise, if any.
type StartOptions struct {
	StartFlags
	SuperviseFlags
	ProcessFlags
	Command []string `arg:"" optional:"" passthrough:"" placeholder:"-- CMD [ARGS...]" help:"A program to run and supervise instead of ${program}'s own work (default name: its base name)."`
}

// StartFlags describe how an instance runs.
type StartFlags struct {
	InstanceFlags
	Strategy        string        `enum:"${strategies}" default:"${default_strategy}" env:"${env_prefix}STRATEGY" placeholder:"NAME" help:"How -d detaches: ${enum} (default ${default}; see '${program} strategies'; ${env})."`
	Log             string        `placeholder:"PATH" help:"The daemon's log (default <log-dir>/<name>.log; /dev/null keeps none); in the foreground, given, the log instead of stderr."`
	Workdir         string        `placeholder:"DIR" help:"The daemon's working directory (default / for reexec and setsid, the current one for nohup)."`
	Umask           umask         `default:"022" placeholder:"MODE" help:"With -d, the daemon's umask (default ${default}), in octal; in the foreground the caller's is kept (unit sets it as UMask=)."`
	ReadyTimeout    time.Duration `default:"10s" placeholder:"DURATION" help:"How long to wait for the work to be ready (with -d, the daemon) before killing it, in the foreground too; with -- CMD, each restart of the program too (default ${default})."`
	ShutdownTimeout time.Duration `default:"10s" placeholder:"DURATION" help:"On SIGTERM, how long work in flight may take to finish (default ${default})."`
}

// Run starts the instance and prints one line saying where it runs. In a daemon (after
// Init) it is the daemon, and exits the process with the daemon's code when it ends.
func (c *StartCmd) Run(app *App) error {
	if pending != nil {
		runPending(app.Config) // never returns
	}
	if err := notInitialised(); err != nil {
		return withCode(exitSoftware, err)
	}
	if !c.Detach && app.Config.ownsProcess {
		// In the foreground this process is the daemon: what its caller blocked is not its
		// program's to inherit (with -d the daemon sees to it). If it cannot, as before.
		// Only under Main: a program that calls Run itself would run its main again.
		_ = server.ExecUnblocked()
	}
	arm := armInterrupt(!c.Detach) // while the checks below run, with -d
	defer arm.release()
	var err error
	if c.Command, err = takeCommand(app, c.Command, "start -d"); err != nil {
		return err
	}
	if err := absProgram(c.Command, c.Workdir); err != nil {
		return withCode(exitUsage, err)
	}
	if err := absPath("--child-pidfile", &c.ChildPIDFile); err != nil {
		return withCode(exitUsage, err)
	}
	for i := range c.EnvFile {
		if err := absPath("--env-file", &c.EnvFile[i]); err != nil { // restart, typed anywhere, reads the same file
			return withCode(exitUsage, err)
		}
	}
	for i, spec := range c.Socket {
		var err error
		if c.Socket[i], err = absSocket(spec); err != nil {
			return withCode(exitUsage, err)
		}
	}
	if err := c.checkSupervise(c.Detach); err != nil {
		return withCode(exitUsage, err)
	}
	if err := c.absChecks(func(msg string) { app.say(app.Config.Stderr, hclog.Warn, "warning: ", msg) }); err != nil {
		return withCode(exitUsage, err)
	}
	if err := c.checkSignalClash(c.Detach); err != nil {
		return withCode(exitUsage, err)
	}
	if stop, _ := stopSignal(c.StopSignal); stop == syscall.SIGHUP && !c.Detach && signal.Ignored(syscall.SIGHUP) {
		return withCode(exitUsage, errors.New("--stop-signal SIGHUP in the foreground under nohup(1), which keeps SIGHUP ignored for the program: it would never see it, and every stop would end in SIGKILL; give another --stop-signal, or start it with -d"))
	}
	if err := c.ProcessFlags.check(); err != nil {
		return withCode(exitUsage, err)
	}
	env, _, owned, err := c.ProcessFlags.environOwned()
	if err != nil {
		return withCode(exitUsage, err)
	} else if len(owned) > 0 { // one of an env file the work's --user may write: checkValues could not read it
		return withCode(exitUsage, fmt.Errorf("%s: %s", owned[0].where, ownedVariable(owned[0].key)))
	}
	if _, err := (&request{ProcessFlags: c.ProcessFlags}).credential(); err != nil {
		return withCode(exitUsage, err)
	}
	fromCommand := len(c.Command) > 0 && c.Name == "" && c.PIDFile == ""
	if fromCommand {
		c.Name = filepath.Base(c.Command[0])
	}
	if err := checkNewName(c.Name, c.PIDFile); err != nil && !c.startedBefore(app) {
		if fromCommand {
			err = fmt.Errorf("%w: give --name", err)
		}
		return withCode(exitUsage, err)
	}
	paths, err := c.paths(app, c.Log, true)
	if err != nil {
		return err
	}
	layout, _ := app.layout(false) // paths made it already
	if err := c.checkProgramPidfiles(paths, layout.StateDir); err != nil {
		return withCode(exitUsage, err)
	}
	if err := c.checkSocketPaths(paths, ""); err != nil {
		return withCode(exitUsage, err)
	}
	desc, err := strategy.Lookup(c.Strategy)
	if err != nil {
		return withCode(exitUsage, err)
	}
	if err := notRunning(app, paths); err != nil {
		return c.alreadyRunningAs(app, paths, err)
	}
	if err := formerRunning(app, paths); err != nil {
		return err
	}
	if err := c.notFoundRelative(env, desc.Traits.DefaultDir); err != nil { // after: a start of one running exits 3
		return withCode(exitUsage, err)
	}
	if c.Detach {
		if err := detachAsInit(paths.Name, "start", "nothing was started; run it in the foreground instead (without -d)"); err != nil {
			return err
		}
	}
	if c.Detach || c.Log != "" { // in the foreground without --log, its log is its stderr
		if err := logOfRunning(paths, layout.StateDir, "give it --log another path"); err != nil {
			return err
		}
	}
	unitNote(app, paths)
	if err := instance.CheckReplaceable(paths.Record); err != nil {
		return withCode(exitFailed, err) // before the program runs, not once it is ready
	}
	if err := c.programThere(paths); err != nil {
		return err
	}
	if err := app.makeStateDir(); err != nil {
		return err
	}
	// Only now, when it runs the instance, are its missing directories made: a start that
	// finds it running, or whose program is not there, leaves none behind, and a
	// foreground start without --log, whose log is its stderr, makes no log directory (nor
	// the state directory for the log's claim).
	made := paths
	stateDir := layout.StateDir
	if !c.Detach && c.Log == "" {
		made.Log, stateDir = "", ""
	}
	if err := makeDirs(made, stateDir); err != nil {
		return err
	}
	if !c.Detach {
		return c.foreground(arm, app, paths)
	}
	ctx := arm.wait()
	if !c.ClearEnv {
		c.Inherited = inheritable(os.Environ()) // recorded: restart starts the work with it
	}
	c.Limits = limits.Current() // recorded too: the daemon of a restart gives them itself
	req, err := c.request(app, paths, desc.Traits)
	if err != nil {
		return err
	}
	res, err := launchRequest(ctx, req, desc, app.Log.Named("launch"), launchHeld{stateDir: layout.StateDir, joining: func(other int) {
		app.say(app.progressOut(), hclog.Info, "note: ", fmt.Sprintf("start %s: %s is under way: this start waits for its outcome, and launches nothing itself", paths.Name, otherStart(other)))
	}})
	// The outcome is decided: a SIGTERM or SIGINT from now on ends start the default way,
	// even while it is blocked writing the result to a pipe nobody reads (the daemon, ready,
	// runs on; one that failed is gone already).
	arm.release()
	if err != nil {
		return err
	}
	outcome := watchResult(app, "start -d")
	fmt.Fprintf(app.Stdout, "started %s (pid %d, strategy %s%s, log %s)\n",
		paths.Name, res.PID, req.Strategy, listenNote(res.Listen, req.Supervise), showPath(paths.Log))
	warnDropped(app, paths, res)
	notifyManager(res.PID)
	return outcome(nil)
}

// warnDropped warns when the daemon, ready, has already lost log lines (its log's file
// system is full, say), as it said in its last word (res.Dropped): "started" alone would
// let the user find out only once the lines are needed.
func warnDropped(app *App, paths instance.Paths, res launcher.Result) {
	if res.Dropped == 0 {
		return
	}
	app.say(app.Config.Stderr, hclog.Warn, "warning: ", fmt.Sprintf("%s runs, but %d of its log lines could not be written already (is its log's disk full?): they are lost, and so are the next ones until there is room ('%s' says why, and counts them)",
		paths.Name, res.Dropped, app.commandFor("status", paths)))
}

// programThere is exit 1 when the program to supervise is surely not there (a typo, a
// path that moved; see supervisor.MissingProgram), looked up in the PATH the daemon runs
// it with: found now, before any directory or log is made, which the daemon, finding it,
// would leave behind. Not in the foreground with --log (a unit's ExecStart), whose failed
// start is said in that log too; nor for an instance that ran before (its record is
// there), whose daemon records the failed start, as status and restart say it.
func (c *StartCmd) programThere(paths instance.Paths) error {
	if len(c.Command) == 0 || !c.Detach && c.Log != "" {
		return nil
	}
	if _, err := os.Lstat(paths.Record); err == nil {
		return nil // it ran before: its daemon records the failed start, for status and restart
	}
	name := paths.Name
	env, err := c.ProcessFlags.environ()
	if err != nil {
		return withCode(exitUsage, err)
	}
	path, _ := envLookup(env, "PATH")
	err = supervisor.MissingProgram(c.Command[0], path)
	switch {
	case err == nil:
		return nil
	case c.Detach:
		err = fmt.Errorf("start %s: %w", name, err) // as the launcher says a daemon's error
	}
	return withCode(exitFailed, err)
}

// takeCommand is the program's command line as Kong passed it (command: start's, unit's
// or upgrade's), without the separator. It refuses, as usage errors, an unknown flag that
// Kong put there (Kong hands an unknown flag to the program's place, with every flag
// after it, so a typo would run as the program, without the flags that followed it), a
// separator with nothing after it, and an empty program name, which would otherwise be
// taken for no program at all, or fail only once launched (exec: ""). usage is how the
// command is typed, for the message ("start -d"); none, without a program, is nil.
func takeCommand(app *App, command []string, usage string) ([]string, error) {
	cmd, _, _ := strings.Cut(usage, " ")
	switch {
	case len(command) == 0:
		return nil, nil
	case command[0] != "--" && strings.HasPrefix(command[0], "-"):
		flag, _, _ := strings.Cut(command[0], "=")
		if len(flag) == 2 && len(command) > 1 && slices.Contains(os.Args, flag+command[1]) {
			// Kong split -greeting into -g and "reeting", a cluster of short flags: a long
			// flag typed with one dash, as Go's flag package takes them.
			typed := flag + command[1]
			flag = fmt.Sprintf("%s (of %s: a long flag takes two dashes here, -%s)", flag, typed, typed)
		}
		if note := ownFlagNote(app.Config, app.Config.runArgs); note != "" {
			return nil, withCode(exitUsage, fmt.Errorf("unknown flag: %s", note)) // not a cluster of short ones
		}
		return nil, withCode(exitUsage, fmt.Errorf("unknown flag %s (see '%s %s --help'); a program to run goes after --: '%s %s -- PROG'",
			flag, app.Config.Name, cmd, app.Config.Name, usage))
	case command[0] == "--":
		command = command[1:] // Kong passes the separator through with the rest
	}
	switch {
	case len(command) == 0:
		return nil, withCode(exitUsage, fmt.Errorf("nothing after --: give the program to run ('%s %s -- PROG [ARGS...]'), or leave -- out", app.Config.Name, usage))
	case command[0] == "":
		return nil, withCode(exitUsage, fmt.Errorf("empty program name: give the program to run ('%s %s -- PROG [ARGS...]')", app.Config.Name, usage))
	}
	return command, nil
}

// absProgram makes a program path that holds a slash absolute, in place: against dir when
// it is given (--workdir, where the program runs, as cd DIR && ./prog would have it), else
// against the directory the command runs in, where the user typed it. The daemon runs the
// program from its own working directory (/ by default), where the relative path would
// name nothing, or something else; and the record keeps the absolute path, so that
// restart runs the same program from wherever it is typed. A bare name is looked up in
// PATH, as before.
func absProgram(command []string, dir string) error {
	if len(command) == 0 || !strings.Contains(command[0], "/") || filepath.IsAbs(command[0]) {
		return nil
	}
	base, err := filepath.Abs(cmp.Or(dir, "."))
	if err != nil {
		return fmt.Errorf("program %q: a relative path, and the working directory is unknown (give an absolute one): %w", command[0], err)
	}
	command[0] = filepath.Join(base, command[0])
	return nil
}

// absPath makes *path, which flag named, absolute against the directory start is typed in,
// as --log and --pidfile are: the daemon, which runs in / or --workdir, would otherwise
// write it somewhere else. An empty path stays empty.
func absPath(flag string, path *string) error {
	if *path == "" || filepath.IsAbs(*path) {
		return nil
	}
	abs, err := filepath.Abs(*path)
	if err != nil {
		return fmt.Errorf("%s %s: a relative path, and the working directory is unknown (give an absolute one): %w", flag, *path, err)
	}
	*path = abs
	return nil
}

// notifyManager tells a service manager that runs start -d as its main process
// ($NOTIFY_SOCKET set: a Type=notify unit whose ExecStart detaches) that the daemon is
// ready, and that its main process is now the daemon, pid. Not under a daemonkit
// supervisor (its program, or what that started, inherit supervisor.GenerationEnv), whose
// $NOTIFY_SOCKET is its program's readiness: the daemon started here is another
// instance's, and named there it would pass for that program, ready before it is.
func notifyManager(pid int) {
	if os.Getenv("NOTIFY_SOCKET") != "" && os.Getenv(supervisor.GenerationEnv) == "" {
		_, _ = daemon.SdNotify(false, fmt.Sprintf("MAINPID=%d\nREADY=1", pid))
	}
}

// listenNote is where the daemon said its work serves, if it did: ", listening on ADDR"
// where the work or daemonkit (--socket) listens, ", answering on ADDR" where it is the
// address a --ready tcp: or http: check of a supervised program (sup) reached, which the
// program listens on, or something else it reaches, and daemonkit only probed.
func listenNote(addr string, sup *superviseRequest) string {
	switch {
	case addr == "":
		return ""
	case sup != nil && probed(sup.Ready):
		return ", answering on " + addr
	}
	return ", listening on " + addr
}

// probed says whether the address a program with the readiness check ready was ready at is
// one the check reached (tcp:, http:), which the program answers on, or something else it
// reaches, and daemonkit only probed, rather than one the work or daemonkit listens on.
func probed(ready string) bool {
	return strings.HasPrefix(ready, "tcp:") || strings.HasPrefix(ready, "http:")
}

// surviveClosedPipe makes a write to stdout or stderr whose reader is gone (start -- prog
// 2>&1 | logger, and logger ends) fail with EPIPE, as any other write does, rather than
// kill this process with SIGPIPE, Go's default for descriptors 1 and 2: a foreground
// daemon would die at its next log line, leaving its pidfile and killing its program.
// SIGPIPE is caught (the signals dropped), not ignored, so the programs it starts get the
// default back at exec, as they expect.
func surviveClosedPipe() {
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
}

// interruptible is a context cancelled by SIGINT, SIGTERM or SIGQUIT (Ctrl-\, which a
// user types to end a command as surely as Ctrl-C), whose cause names the signal, and the
// function that stops catching them; the context stays as it is then. Uncaught, SIGQUIT
// would dump every goroutine and exit 2, the usage error's code, with what the command
// had started left unwatched.
//
// In a job a script put in the background (cmd &), which a shell starts with SIGINT and
// SIGQUIT ignored, neither is caught: a Ctrl-C or Ctrl-\ meant for the foreground must not
// reach it, and Notify would take them back from being ignored. Go's runtime keeps only
// SIGINT of the two ignored (SIGQUIT it catches, to dump), so signal.Ignored cannot tell
// that SIGQUIT was: it is ignored again here, as the shell left it, whenever SIGINT was.
func interruptible() (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 1)
	caught := []os.Signal{syscall.SIGTERM}
	if signal.Ignored(os.Interrupt) {
		signal.Ignore(syscall.SIGQUIT)
	} else {
		caught = append(caught, os.Interrupt)
		if !signal.Ignored(syscall.SIGQUIT) { // but where the program ignored it itself
			caught = append(caught, syscall.SIGQUIT)
		}
	}
	signal.Notify(sigs, caught...)
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-sigs:
			cancel(interruption{sig.(syscall.Signal)})
		case <-done:
		}
	}()
	return ctx, sync.OnceFunc(func() {
		signal.Stop(sigs)
		close(done)
	})
}

// dieBy ends the process by sig, as its default action would have, once what the
// interrupt left undone is said: a shell running it from a script then ends the script
// too, as it does for a child killed by Ctrl-C, where an exit of 128+N would let the script
// go on. SIGQUIT's default would dump every goroutine (Go's runtime) or a core, which an
// interrupted command has no cause to leave: it exits 131 instead, the status a shell
// shows for it. It does not return.
func dieBy(sig syscall.Signal) {
	if sig == syscall.SIGQUIT {
		os.Exit(128 + int(sig))
	}
	signal.Reset(sig)
	_ = syscall.Kill(os.Getpid(), sig)
	time.Sleep(time.Second) // the signal is on its way; in case something still catches it:
	os.Exit(128 + int(sig))
}

// dieByInterruption, for a command whose interrupt (ctx's cause) left err to say, says it
// as the command's own last error is said (sayInterrupted), then ends the process by the
// signal (dieBy), as it ended before it caught it: a script that runs it ends with it. It
// returns when ctx was not interrupted, or err is nil.
func dieByInterruption(app *App, ctx context.Context, err error) {
	var in interruption
	if err == nil || !errors.As(context.Cause(ctx), &in) {
		return
	}
	_ = sayInterrupted(app, ctx, withCode(128+int(in.sig), err)) // its exit_code, under json, as a shell sees it
	dieBy(in.sig)
}

// sayInterrupted, for a command interrupted (ctx's cause) that ends with err, says err now,
// as the command's own last error is said, but through the command's writesUntilInterrupted
// (stderrUntilInterrupted, the one its reports used): with its stderr a pipe nobody reads,
// the command ends a moment later, without a word, rather than never. It returns err's
// exit code alone, with nothing left to say; and err as it is when ctx was not interrupted.
func sayInterrupted(app *App, ctx context.Context, err error) error {
	if err == nil || !errors.As(context.Cause(ctx), new(interruption)) {
		return err
	}
	format := ""
	if app.Globals != nil {
		format = app.Globals.LogFormat
	}
	told := app.Config
	told.Stderr = app.stderrUntilInterrupted(ctx) // the command's own: a write given up holds it no longer
	return saidWithCode(told.exitIn(format, err), err)
}

// interruption is the cause of interruptible's context: the signal that ended it.
type interruption struct{ sig syscall.Signal }

func (i interruption) Error() string { return "interrupted by " + signalLabel(i.sig) }

// arming is interruptible being set up, with -d on another goroutine: the first
// signal.Notify of a process starts two runtime threads, 0.8 ms of every start here, which
// start's checks overlap; a SIGINT before it is armed ends start the default way, before
// anything was started. In the foreground it is set up at once, on the main thread: one of
// those threads blocks most signals for good, and there it must not take the main thread,
// whose signal mask server.Run clears and /proc/PID/status shows.
type arming struct {
	done chan struct{}
	ctx  context.Context
	stop func()
	// quitIgnored says interruptible ignored SIGQUIT (a background job's): release puts
	// back the runtime's action, unless the work took it since, so that clearInherited,
	// which runs before, does not take it for the program's own choice and pass it on.
	quitIgnored bool
}

// armInterrupt starts setting up interruptible: on another goroutine, or now on the main
// thread if onMain.
func armInterrupt(onMain bool) *arming {
	a := &arming{done: make(chan struct{})}
	arm := func() {
		before := signal.Ignored(syscall.SIGQUIT)
		a.ctx, a.stop = interruptible()
		a.quitIgnored = !before && signal.Ignored(syscall.SIGQUIT)
		close(a.done)
	}
	if onMain {
		mainthread.Run(arm) // if it cannot, server.Run says so
	} else {
		go arm()
	}
	return a
}

// wait returns interruptible's context once it is armed.
func (a *arming) wait() context.Context {
	<-a.done
	return a.ctx
}

// release stops catching the signals, whether wait was called or not, and may be called
// again: the foreground hands them over to server.Run (Options.SignalsCaught), and
// start's Run releases them on its way out.
func (a *arming) release() {
	<-a.done
	a.stop()
	if a.quitIgnored && signal.Ignored(syscall.SIGQUIT) {
		signal.Reset(syscall.SIGQUIT)
	}
}

// foreground runs the work in this process, logging to stderr, until Ctrl-C or SIGTERM.
func (c *StartCmd) foreground(arm *arming, app *App, paths instance.Paths) error {
	// This process is the daemon: what its caller left open reaches no program it starts,
	// as with -d, where the launcher sees to it.
	launcher.CloseOnExecFrom3()
	surviveClosedPipe()
	ctx := arm.wait() // cancelled by a signal caught before server.Run catches them itself
	// Under nohup(1) (SIGHUP ignored when this process was started: `nohup daemonkit start
	// -- PROG &`), the work keeps SIGHUP ignored, as nohup promises what it runs and as the
	// nohup strategy keeps it with -d: the hangup of the terminal it was typed at, which
	// reaches the whole job, must not end the program. reload then sends SIGUSR1.
	req, err := c.request(app, paths, strategy.Traits{IgnoresHUP: signal.Ignored(syscall.SIGHUP)})
	if err != nil {
		return err
	}
	req.Strategy = "" // none detached it: Instance(ctx).Strategy says so
	if c.Workdir == "" {
		req.Workdir = req.Cwd // the foreground stays where it is
	}
	if err := req.checkWorkdir(); err != nil {
		return err
	}
	env, err := req.environ()
	if err != nil {
		return err
	}
	checked, err := reloadCheckRequest(req)
	if err != nil {
		return err
	}
	invocation, err := instance.NewInvocation()
	if err != nil {
		return err
	}
	if err := setEnviron(withEnv(env, instance.InvocationEnv, invocation)); err != nil {
		return err
	}
	if err := req.settle(); err != nil {
		return err
	}
	unit := unitOfProcess(os.Getpid())
	opts := server.Options{
		Name:            paths.Name,
		PIDFile:         paths.PIDFile,
		RecordPath:      paths.Record,
		ShutdownTimeout: c.ShutdownTimeout,
		ReadyTimeout:    c.ReadyTimeout, // nothing else bounds a container's start
		Logger:          app.Log,
		Record:          instance.Record{Program: app.Config.Name, Build: buildOf(app.Config), Invocation: invocation, Request: checked, Ready: req.readiness(), Unit: unit.recorded(), IgnoresHUP: req.IgnoreHUP},
		IgnoreHUP:       req.IgnoreHUP,
		// Typed at a shell, the hangup of its terminal ends it, as it ends the rest of the
		// job; a unit's process or PID 1 (a container's, whose terminal is docker's) is
		// another's to end, and under nohup(1) SIGHUP stays ignored.
		HangupStops:   !req.IgnoreHUP && unit.Name == "" && os.Getpid() != 1,
		NotifyManager: os.Getenv("NOTIFY_SOCKET") != "",
		SignalsCaught: arm.release, // from then on a signal is server.Run's alone
	}
	out := logWriter("stderr", app.Config.Name, app.Globals.LogFormat)
	tell := func(err error) error { return err } // start's own error, for the caller
	var claim *instance.LogClaim                 // its log's, with --log
	if c.Log != "" {
		// An explicit --log in the foreground (a unit's ExecStart): the log is that file,
		// reopened on reload, rather than stderr. start's own errors (already running, could
		// not start) still go to the caller's stderr, as start -d's do (under a unit, the
		// journal): a dup of it kept from before the redirect, if it is descriptor 2.
		caller := app.Config.Stderr
		if f, ok := caller.(*os.File); ok && f.Fd() == 2 {
			kept, err := logfile.Keep(2, f.Name())
			if err != nil {
				return err
			}
			defer kept.Close()
			caller = kept
		}
		tell = func(err error) error {
			told := app.Config
			told.Stderr = caller
			return saidWithCode(told.exitIn(app.Globals.LogFormat, err), err)
		}
		// The log's claim, checked and recorded before the log is opened, and held until
		// the daemon holds its pidfile and is ready, with its record written (or has
		// failed), as start -d's is: a start with this log meanwhile waits, then finds
		// this one running (see claimLog). A foreground start takes no start lock.
		layout, _ := app.layout(false)
		if sameDir(filepath.Dir(paths.PIDFile), layout.StateDir) {
			_ = pidfile.MakeDir(layout.StateDir) // as server.Run would: where the claim is kept (its error is Run's to say)
		}
		claim, err = claimLog(ctx, layout.StateDir, paths, startLockWait(req), "give it --log another path")
		if err != nil {
			return err
		}
		defer claim.Release() // a failed start's, at its end
		opts.Ready = claim.Release
		if err := logfile.Redirect(paths.Log, 1, 2); err != nil {
			return err
		}
		opts.LogDescriptors, out = holdLog(paths.Log, app.Config.Name, app.Globals.LogFormat)
		opts.LogPath, opts.LogWriter = paths.Log, out
		opts.Logger = newLogger(app.Config.Name, app.Globals.LogLevel, app.Globals.LogFormat, out.Handoff())
	} else if f, ok := app.Config.Stderr.(*os.File); ok && f.Fd() == 2 {
		// Its stderr is the log, which the program's output shares: daemonkit's own lines,
		// and its last word, go through out too, so that at a stop none of them waits past
		// the stop's bound behind a reader that stopped reading (a paused pager, a stuck
		// log driver), and the lines given up on are counted in the record. They go
		// through a descriptor of its own, as a daemon's do (holdLog): a serve function
		// that closes os.Stderr, and whose next file takes descriptor 2, would otherwise
		// get them in that file.
		if fd, err := dupStderr(); err == nil {
			out = logWriterOn(fd, "stderr", app.Config.Name, app.Globals.LogFormat)
			opts.Ready = func() { crashTo(fd) } // and a crash's trace, once the work took 2
		}
		opts.LogWriter = out
		opts.Logger = newLogger(app.Config.Name, app.Globals.LogLevel, app.Globals.LogFormat, out.Handoff())
		tell = func(err error) error {
			told := app.Config
			told.Stderr = out
			return saidWithCode(told.exitIn(app.Globals.LogFormat, err), err)
		}
	}
	var programOut io.Writer = out
	if outputGoneStops(opts.HangupStops, c.Log) {
		var stop context.CancelCauseFunc
		ctx, stop = context.WithCancelCause(ctx)
		defer stop(nil)
		programOut = stopsOnBrokenPipe(out, stop)
	}
	w, err := req.workload(app.Config, programOut, false)
	if err != nil {
		return tell(err)
	}
	err = server.Run(ctx, w, opts)
	if err == nil {
		return nil
	}
	if !errors.Is(err, pidfile.ErrLocked) { // not another's start, whose record may come
		forgetNeverRan(req, claim) // its pidfile given up: a failed start of a new name leaves nothing
	}
	var ended *supervisor.ExitError
	if errors.As(err, &ended) { // the program ran and ended: the work's end, not start's error
		if c.Log != "" {
			return saidWithCode(ended.ExitCode(), err) // which the log has
		}
		return tell(withCode(ended.ExitCode(), err)) // as tini, and a container's PID 1, do
	}
	if stopped := (server.Stopped{}); errors.As(err, &stopped) {
		if sig, ok := stopped.Signal.(syscall.Signal); ok {
			// A stop called the start off: the status a stop gives (143 after SIGTERM),
			// which the unit counts as a success, not a failed start.
			return tell(withCode(128+int(sig), err))
		}
	}
	return tell(startError(paths.Name, err))
}

// reloadCheckRequest is what the record of a foreground start (a unit's ExecStart) keeps
// of req, nil unless its program has a --reload-check or a --reload-signal: the request,
// with the environment the work inherits, from which reload runs the check where and as
// the program runs, and checks that the program takes its reload signal (not HUP).
// restart still takes a record without a strategy for the foreground's.
func reloadCheckRequest(req *request) (json.RawMessage, error) {
	if req.Supervise == nil || (req.Supervise.ReloadCheck == "" && req.Supervise.ReloadSignal == "") {
		return nil, nil
	}
	recorded := *req
	if !req.ClearEnv && req.Supervise.ReloadCheck != "" { // the check's: a reload signal needs none
		recorded.Inherited = inheritable(os.Environ()) // before setEnviron: --env is applied again
	}
	return json.Marshal(recorded)
}

// setEnviron makes env this process's environment (the foreground's work runs here).
func setEnviron(env []string) error {
	os.Clearenv()
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if err := os.Setenv(k, v); err != nil {
			return err
		}
	}
	return nil
}

// notRunning is exit 3 when the instance runs: its pidfile's lock is held by a daemon past
// its start, whether or not this user may read or write its record (start checks that
// after, for a start that would run), or it runs though its pidfile does not show it
// (deleted or replaced by hand), and its record proves the daemon by pid and start time: a
// second daemon would be a duplicate. A daemon still starting is left to the lock, in the
// launcher and in the daemon: a start joins the one under way, which may yet fail. And it
// is exit 1 when the instance's last run left processes running (its daemon was killed,
// and they outlived it): they would run beside the new one, as a second copy of the
// program, or holding its port.
func notRunning(app *App, paths instance.Paths) error {
	st, err := instance.Inspect(paths)
	switch {
	case errors.Is(err, instance.ErrUnprovenHolder):
		return withCode(exitFailed, fmt.Errorf("%w; nothing was started", err)) // not "already running"
	case err != nil:
		return nil // the lock decides, in the launcher and in the daemon
	case st.Pidfile.State == pidfile.Running && !st.Starting:
		return startError(paths.Name, &pidfile.LockedError{Path: paths.PIDFile, PID: st.PID()})
	case st.Pidfile.State == pidfile.Running:
		return nil // still starting: the lock decides
	case st.Unlocked && st.Record.ByLock:
		return alreadyRunning(nil, "%s is already running (pid %d; its pidfile %s was deleted, and the lock it holds on it proves it)", paths.Name, st.PID(), paths.PIDFile)
	case st.Unlocked:
		return alreadyRunning(nil, "%s is already running (pid %d; its pidfile %s was deleted or replaced, and its record proves it)", paths.Name, st.PID(), paths.PIDFile)
	}
	rec, err := instance.ReadRecord(paths.Record)
	if err != nil {
		return nil
	}
	if err := runsAtRecordedPIDFile(app, paths, rec); err != nil {
		return err
	}
	if left := instance.Leftovers(paths, rec); len(left) > 0 {
		return leftRunning(app, paths, left, "which would run beside a new one")
	}
	return nil
}

// runsAtRecordedPIDFile is exit 3 when the instance's record names another pidfile than
// paths', and the daemon it names holds that one: a daemon an older daemonkit started with
// --pidfile STATE/web.lock, which a start of web without --pidfile would run a second copy
// of (runsAtOtherName says what to do about it). nil otherwise.
func runsAtRecordedPIDFile(app *App, paths instance.Paths, rec instance.Record) error {
	if at, ok := instance.AtRecordedPIDFile(paths, rec); ok {
		return runsAtOtherName(app, at)
	}
	return nil
}

// leftRunning is exit 1 for an instance whose last run left the processes left running,
// naming them, what is wrong with going on, and how to end them.
func leftRunning(app *App, paths instance.Paths, left []int, wrong string) error {
	return withCode(exitFailed, fmt.Errorf("%s is not running, but its last run left %s running, %s: '%s' kills what is left",
		paths.Name, pidList(left), wrong, app.commandFor("stop", paths)))
}

// pidList says "pid 12" or "3 processes (pids 12 34 56)".
func pidList(pids []int) string {
	if len(pids) == 1 {
		return fmt.Sprintf("pid %d", pids[0])
	}
	s := make([]string, len(pids))
	for i, pid := range pids {
		s[i] = strconv.Itoa(pid)
	}
	return fmt.Sprintf("%d processes (pids %s)", len(pids), strings.Join(s, " "))
}

// startError is exit 3 for an instance already running, else err as it is. An instance
// another user runs under that name (its pidfile is theirs, in a directory others may
// write, such as /tmp) is exit 1: it is not this user's, running, as exit 3 would say to a
// script that takes "already running" for started.
func startError(name string, err error) error {
	var held *pidfile.LockedError
	if errors.As(err, &held) {
		if uid, ok := othersFile(held.Path); ok {
			return withCode(exitFailed, fmt.Errorf("%s runs, but not as yours: its pidfile %s, held by pid %d, is uid %d's, another user's instance of that name in a directory others may write; it is not the one you start (nothing was started): give another --name, or a --state-dir of your own", name, held.Path, held.PID, uid))
		}
		if held.PID >= 1 { // 1: a container's PID 1 daemon, seen from inside
			return alreadyRunning(err, "%s is already running (pid %d)", name, held.PID)
		}
		return alreadyRunning(err, "%s is already running", name)
	}
	return err
}

// request resolves the flags into what the daemon runs with: every path absolute, the
// program's own flags as they are now, and the command line to parse again.
func (c *StartCmd) request(app *App, paths instance.Paths, traits strategy.Traits) (*request, error) {
	req := &request{
		Program:         app.Config.Name,
		Name:            paths.Name,
		PIDFile:         paths.PIDFile,
		Log:             paths.Log,
		Record:          paths.Record,
		Strategy:        c.Strategy,
		IgnoreHUP:       traits.IgnoresHUP,
		Umask:           int(c.Umask),
		ReadyTimeout:    c.ReadyTimeout,
		ShutdownTimeout: c.ShutdownTimeout,
		LogLevel:        app.Globals.LogLevel,
		LogFormat:       app.Globals.LogFormat,
		Args:            os.Args[1:],
	}
	if len(c.Command) > 0 {
		req.Supervise = &superviseRequest{SuperviseFlags: c.SuperviseFlags, Command: c.Command}
	} else {
		req.Socket, req.DrainTimeout = c.Socket, c.DrainTimeout
	}
	req.ProcessFlags = c.ProcessFlags
	req.Exe = currentExecutable()
	cwd, err := os.Getwd()
	if err != nil { // a directory deleted under the shell: only a daemon that would run there needs it
		if c.Workdir == "" && traits.DefaultDir == "" {
			return nil, fmt.Errorf("the current directory cannot be had (%v), and the daemon would run in it: cd to one that exists, or give --workdir", err)
		}
		cwd = ""
	}
	req.Cwd = cwd
	dir := cmp.Or(c.Workdir, traits.DefaultDir, cwd) // nohup's default is the caller's, recorded for restart
	if req.Workdir, err = filepath.Abs(dir); err != nil {
		return nil, err
	}
	if app.Config.Flags != nil {
		if err := checkFlagsSurviveJSON(app.Config.Flags); err != nil {
			return nil, withCode(exitSoftware, err) // the program's error, not the user's
		}
		flags, err := json.Marshal(app.Config.Flags)
		if err != nil {
			return nil, fmt.Errorf("encode the program's flags: %w", err)
		}
		req.Flags = flags
	}
	return req, nil
}

// checkWorkdir refuses a working directory that the work's user (--user) may not enter: a
// program would start in it and fail at its first relative path, where systemd fails such
// a unit at once (200/CHDIR); and so a notify socket's directory. Root's work, and modes
// that allow it, pass.
func (req *request) checkWorkdir() error {
	cred, err := req.credential()
	if err != nil || cred == nil {
		return nil // start reports a bad --user itself
	}
	if why := supervisor.CannotEnter(req.Workdir, cred); why != "" {
		return fmt.Errorf("the work's directory %s: %s: give --workdir a directory user %s may enter", req.Workdir, why, req.User)
	}
	// A work that says ready over sd_notify (--ready notify, or the program's own work run
	// as a child) sends to a socket beside the pidfile: the user must reach it, or the start
	// times out on a "permission denied" only the program sees.
	if req.Supervise == nil || req.Supervise.Ready == "notify" {
		dir := filepath.Dir(req.PIDFile)
		if why := supervisor.CannotEnter(dir, cred); why != "" {
			return fmt.Errorf("the notify socket's directory %s (the pidfile's): %s, so the work could never say it is ready: give --state-dir (or --pidfile) a directory user %s may enter, or let that one be searched (chmod o+x)", dir, why, req.User)
		}
	}
	return nil
}

// launcherReadyTimeout is the launcher's ready timeout when none is given, and
// startWaitGrace what a start waits beyond it for another start of the same name to end
// (the launcher's bound on a failed daemon's exit, and some).
const (
	launcherReadyTimeout = 10 * time.Second
	startWaitGrace       = 10 * time.Second
)

// startLockWait is how long a start of req waits for another start under way to end.
func startLockWait(req *request) time.Duration {
	return max(req.ReadyTimeout, launcherReadyTimeout) + startWaitGrace
}

// otherStart names the start under way, pid, that a start joins: "another start (pid N)",
// or "another start (pid unknown)" where the kernel cannot name it (-1), as instance's
// errors name it.
func otherStart(pid int) string {
	if pid <= 0 {
		return "another start (pid unknown)"
	}
	return fmt.Sprintf("another start (pid %d)", pid)
}

// launchHeld are the locks a caller of launchRequest took already, which restart holds
// across its stop, and the state directory where launchRequest takes those missing.
type launchHeld struct {
	start    *instance.Starting // the instance's start lock
	log      *instance.LogClaim // its log's claim (see claimLog)
	stateDir string             // where the log's claim is kept

	// joining, with no start lock held, is told the pid of another start under way that
	// launchRequest waits for (instance.BeginStartNoting), for start to say so.
	joining func(other int)
}

// launchRequest detaches a daemon that runs req with the strategy desc, and waits until
// it is ready; an instance already running is exit 3, any other failure exit 1, and so is
// a log that another instance of the state directory writes (claimLog). It holds the
// instance's start lock and its log's claim meanwhile: held's, if the caller took them
// already (restart, across its stop), else its own.
func launchRequest(ctx context.Context, req *request, desc strategy.Descriptor, log hclog.Logger, held launchHeld) (launcher.Result, error) {
	if err := req.checkLog(); err != nil { // restart's recorded request: start checked its own
		return launcher.Result{}, withCode(exitFailed, err)
	}
	if err := req.checkWorkdir(); err != nil {
		return launcher.Result{}, withCode(exitFailed, err)
	}
	invocation, err := instance.NewInvocation()
	if err != nil {
		return launcher.Result{}, withCode(exitFailed, err)
	}
	spec, err := req.daemonSpec(invocation)
	if err != nil {
		if !errors.As(err, new(*exitError)) { // not UTF-8 is a usage error already
			err = withCode(exitFailed, err)
		}
		return launcher.Result{}, err
	}
	// Held until the daemon is ready or has failed: a stop meanwhile waits for the daemon
	// and stops it, and a second start waits for this one, then finds the daemon running.
	if held.start == nil {
		starting, err := instance.BeginStartNoting(ctx, instance.Paths{Name: req.Name, PIDFile: req.PIDFile}, startLockWait(req), held.joining)
		if errors.Is(err, pidfile.ErrLocked) { // the other start's daemon
			return launcher.Result{}, startError(req.Name, err)
		}
		if err != nil {
			return launcher.Result{}, withCode(exitFailed, err)
		}
		defer starting.Done()
	}
	whole := instance.Paths{Name: req.Name, PIDFile: req.PIDFile, Log: req.Log, Record: req.Record}
	if held.log == nil {
		claim, err := claimLog(ctx, held.stateDir, whole, startLockWait(req), "give it --log another path")
		if err != nil {
			return launcher.Result{}, err
		}
		held.log = claim
	}
	defer held.log.Release() // once the daemon is ready, or has failed
	if err := instance.AwaitStarting(ctx, whole, startLockWait(req)); err != nil {
		if errors.Is(err, pidfile.ErrLocked) {
			return launcher.Result{}, startError(req.Name, err)
		}
		return launcher.Result{}, withCode(exitFailed, err)
	}
	_, lerr := os.Lstat(req.Record)
	ranBefore := lerr == nil // under the start lock: only this start's daemon writes one now (or a stop of it)
	before, _ := instance.ReadRecord(req.Record)
	res, err := launcher.Launch(ctx, desc.New(), spec, log)
	if err != nil {
		if errors.Is(err, pidfile.ErrLocked) {
			return res, startError(req.Name, err)
		}
		if errors.Is(err, launcher.ErrCallersGroup) {
			err = fmt.Errorf("%w (--strategy %s)", err, desc.Name) // the strategy's name, which Launch does not know
		}
		// The daemon is gone (Launch saw to it), but what its program started may not be:
		// one that left the program's session outlives a daemon killed for not being ready.
		if left := instance.KillInvocation(invocation); len(left) > 0 {
			log.Warn("killed what the failed start left running", "pids", left)
		}
		notify.RemoveStale(filepath.Dir(req.PIDFile)) // a daemon killed for not being ready left its notify socket
		return res, withCode(exitFailed, recordFailedStart(req, held.log, invocation, ranBefore, before.PID, err))
	}
	return res, nil
}

// sent is req as the daemon is sent it, and the daemon's environment: the work's (read
// now: env files too). What the inherited environment had under what was set on top goes
// with it, so that the record keeps the inherited one: see recordedRequest.
func (req *request) sent() (request, []string, error) {
	var defaults []string
	if !req.ClearEnv {
		defaults = append(defaults, "PWD="+req.Workdir) // not the caller's: where the daemon runs, as os/exec would set it
	}
	env, under, err := req.environOver(defaults...)
	if err != nil {
		return request{}, nil, err
	}
	sent := *req
	sent.Inherited, sent.EnvBase = nil, under
	return sent, env, nil
}

// daemonSpec is what launchRequest hands the launcher to start a daemon that runs req,
// invocation being the run's mark (instance.InvocationEnv): its environment, the work's
// (read now: env files too), with the request in it. restart checks its size
// (launcher.CheckExec) before it stops anything. A request that is not UTF-8 is a usage
// error (exit 2).
func (req *request) daemonSpec(invocation string) (strategy.Spec, error) {
	sent, env, err := req.sent()
	if err != nil {
		return strategy.Spec{}, err
	}
	if req.User != "" {
		// The daemon's environment is the work's, less the loader's variables its user could
		// have chosen, which go with the request (splitLoaderEnv).
		sent.LoaderEnv, env = splitLoaderEnv(env, sent.EnvBase)
	}
	if err := notUTF8(sent); err != nil {
		return strategy.Spec{}, withCode(exitUsage, err)
	}
	raw, err := json.Marshal(sent)
	if err != nil {
		return strategy.Spec{}, err
	}
	env = withEnv(env, instance.InvocationEnv, invocation) // this run's, not one the caller inherited
	return strategy.Spec{
		Name:         req.Name,
		Args:         []string{daemonCommand, req.Name}, // the name for ps; the request is private
		Env:          withRequest(env, string(raw)),
		Dir:          req.Workdir,
		LogPath:      req.Log,
		PIDFile:      req.PIDFile,
		ReadyTimeout: req.ReadyTimeout,
	}, nil
}

// startedBefore says whether the instance c names has a record already: one an older
// release made with a name a new instance may not have (a leading dash), which start
// starts again, as the advice of restart and status says, rather than leave it unstartable.
func (c *StartCmd) startedBefore(app *App) bool {
	layout, err := app.layout(false)
	if err != nil {
		return false
	}
	paths, err := layout.Resolve(c.Name, c.PIDFile, c.Log)
	if err != nil {
		return false
	}
	_, err = os.Lstat(paths.Record)
	return err == nil
}

// othersFile returns the owner of the file at path when it is neither this user nor root
// (otherOwner, less root).
func othersFile(path string) (uid int, ok bool) {
	uid = otherOwner(path)
	return uid, uid > 0
}
