package cli

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/hashicorp/go-hclog"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/supervisor"
)

// UpgradeCmd asks an instance's supervisor for a new copy of its program on the same
// sockets: the new copy must get ready before the old one is stopped and drained.
type UpgradeCmd struct {
	InstanceFlags
	Timeout time.Duration `default:"2m" placeholder:"DURATION" help:"How long the whole upgrade may take: the new copy ready and the old one drained; an old copy still draining then is killed (SIGKILL), even within its --drain-timeout (default ${default})."`
	Command []string      `arg:"" optional:"" passthrough:"" placeholder:"-- NEWCMD [ARGS...]" help:"The new copy's command line (default: the one it runs; none for the built-in work, which upgrades to the binary that runs upgrade)."`
}

// Validate refuses what cannot be meant.
func (c *UpgradeCmd) Validate() error {
	if c.Timeout <= 0 {
		return fmt.Errorf("--timeout %s: want a positive duration", c.Timeout)
	}
	return nil
}

// Run talks to the supervisor's control socket and says how it went: exit 0 when the new
// copy serves and the old one is gone, 1 when the new copy failed (the old one serves on),
// 3 when another upgrade runs; a signal (Ctrl-C, SIGTERM) before the answer ends it by
// that signal, once it said that the supervisor goes on with the upgrade if it took it.
func (c *UpgradeCmd) Run(app *App) error {
	if err := c.nameNotCommand(app); err != nil {
		return err
	}
	cmd, err := takeCommand(app, c.Command, "upgrade")
	if err != nil {
		return err
	}
	paths, err := c.target(app, "upgrade")
	if err != nil {
		return err
	}
	if err := absProgram(cmd, ""); err != nil { // the supervisor runs it from the instance's working directory
		return withCode(exitUsage, err)
	}
	for _, a := range cmd {
		if !utf8.ValidString(a) { // the request to the supervisor is JSON, which would change it
			return withCode(exitUsage, fmt.Errorf("argument %q holds bytes that are not UTF-8, which upgrade cannot pass on as they are: give it in UTF-8, or restart the instance with the new command (start -d passes any bytes)", a))
		}
	}
	res, err := upgrade(app, paths, cmd, c.Timeout)
	if err != nil {
		return err
	}
	return reportUpgrade(app, paths, res)
}

// requestUnread says whether a failed new copy's last lines, tail, say that it could not
// read the request its supervisor handed it: "bad request", as every build of daemonkit
// words it ("_daemon: bad request: ..." before 2026-11-26 11:10 UTC, "_workload: bad
// request in $DAEMONKIT_REQUEST: ..." since), or, from a build that knows that variable,
// "no request in $DAEMONKIT_REQUEST". A supervisor runs the upgrading binary for a new copy
// of the built-in work, and only another build of it than the supervisor's fails so. Only
// that hidden command's own words count: a supervised program's log line that says "bad
// request" (every web server logs some) is its own.
func requestUnread(tail []string) bool {
	for _, line := range tail {
		for _, words := range []string{
			": _daemon: bad request: ",
			": " + workloadCommand + ": bad request in $" + requestEnv,
			": " + workloadCommand + ": no request in $" + requestEnv,
		} {
			if strings.Contains(line, words) {
				return true
			}
		}
	}
	return false
}

// builtinWorkCommand is the command line of a new copy of the built-in work of the
// instance name, whose record is rec: exe, this binary, the one that runs upgrade, as
// restart runs it. So a deploy that put the new build at another path (a release
// directory, a symlink switched to it) is upgraded to that build, not to whatever still
// lies where the running one was found. Only the program that started the instance may
// send itself, as only it may restart it: another program's binary would take over the
// sockets with its own work, and be told "upgraded".
func builtinWorkCommand(app *App, rec instance.Record, name, exe string) ([]string, error) {
	if rec.Program != app.Config.Name {
		return nil, withCode(exitFailed, fmt.Errorf("upgrade %s: it runs the built-in work of %q, not of %s, and the new copy would run this binary: upgrade it with that program", name, rec.Program, app.Config.Name))
	}
	if !utf8.ValidString(exe) { // the request to the supervisor is JSON, which would change it
		return nil, withCode(exitUsage, fmt.Errorf("upgrade %s: this binary's path %q holds bytes that are not UTF-8, which upgrade cannot pass on as they are: run upgrade from a path in UTF-8, or restart the instance", name, exe))
	}
	return []string{exe, workloadCommand, name}, nil
}

// versionSkew is what upgrade says when this binary, which the new copy of the built-in
// work ran, could not read the request of the instance at paths: it is another build
// than the one its supervisor runs, older or newer, and what to do.
func versionSkew(app *App, paths instance.Paths) string {
	build, from := "not recorded: an older build", ""
	if rec, err := instance.ReadRecord(paths.Record); err == nil {
		var started struct {
			Exe string `json:"exe"`
		}
		if json.Unmarshal(rec.Request, &started) == nil && started.Exe != "" {
			from = fmt.Sprintf(" (it was started from %s)", started.Exe)
		}
		build = cmp.Or(rec.Build, build)
	}
	return fmt.Sprintf("%s could not read the request of %s's supervisor: it is another build of %s than the one the supervisor runs (%s), older or newer (version skew), and the two cannot hand over. Upgrade again with the supervisor's build%s, or run '%s', which starts the whole instance again, supervisor included, on the build that runs it (its sockets close meanwhile)",
		currentExecutable(), paths.Name, app.Config.Name, build, from, app.commandFor("restart", paths))
}

// answerGrace is how much longer than its timeout upgrade waits for the answer: a new
// copy killed at the bound still has its failure told.
const answerGrace = 5 * time.Second

// upgrade sends an upgrade request to the instance's supervisor and waits for its result.
// The new copy may take the instance's --ready-timeout to get ready, and never more than
// timeout.
func upgrade(app *App, paths instance.Paths, command []string, timeout time.Duration) (supervisor.UpgradeResult, error) {
	var res supervisor.UpgradeResult
	st, err := instance.Inspect(paths)
	if err != nil {
		return res, err
	}
	switch {
	case st.Starting:
		return res, withCode(exitFailed, fmt.Errorf("%s is starting: upgrade it once it is ready", paths.Name))
	case !st.Running():
		if _, err := instance.ReadRecord(paths.Record); errors.Is(err, fs.ErrNotExist) {
			return res, withCode(exitFailed, fmt.Errorf("%s is not running, and has no record: there is nothing to upgrade; start it with '%s -d --socket tcp:HOST:PORT -- PROG [ARGS...]'", paths.Name, app.commandFor("start", paths)))
		}
		return res, withCode(exitFailed, fmt.Errorf("%s is not running: there is no copy to hand over from; start it as it was with '%s'", paths.Name, app.commandFor("restart", paths)))
	}
	if st.Record == nil && st.RecordErr != nil {
		// Not "it holds no sockets": that, and where the control socket is, only the record says.
		return res, withCode(exitFailed, fmt.Errorf("upgrade %s: %w: whether it holds sockets, and where its supervisor takes an upgrade, only its record says, so nothing was asked of it; %s",
			paths.Name, st.RecordErr, unreadableRecordAdvice(paths)))
	}
	if st.Record == nil || st.Record.Control == "" {
		return res, withCode(exitFailed, noSockets(app, paths, st.Record))
	}
	started, known := recordedStart(st.Record)
	if known && started.Supervise == nil {
		if len(command) > 0 {
			return res, withCode(exitUsage, fmt.Errorf("%s runs the built-in work, which takes no command: put the new binary in place, then upgrade without one (the new copy runs the binary that runs upgrade)", paths.Name))
		}
		if command, err = builtinWorkCommand(app, *st.Record, paths.Name, currentExecutable()); err != nil {
			return res, err
		}
	}
	readyTimeout := started.ReadyTimeout // 0: the supervisor's default
	if readyTimeout > timeout || (readyTimeout <= 0 && timeout < 10*time.Second) {
		readyTimeout = timeout
	}
	ctx, stop := interruptible() // before the request: the supervisor may act on it at once
	defer stop()
	conn, err := net.DialTimeout("unix", st.Record.Control, 5*time.Second)
	if err != nil {
		return res, withCode(exitFailed, undialed(app, paths, st, err))
	}
	defer conn.Close()
	if uc, ok := conn.(*net.UnixConn); ok {
		if err := supervisor.ControlPeer(uc, st.PID()); err != nil {
			return res, withCode(exitFailed, fmt.Errorf("upgrade %s: its control socket %s: %w: nothing was sent to it; remove it (%s) and touch the pidfile (%s), after which the supervisor makes its own again, then upgrade again",
				paths.Name, showPath(st.Record.Control), err, adviceJoin([]string{"rm", st.Record.Control}), adviceJoin([]string{"touch", paths.PIDFile})))
		}
	}
	if st.Stopped {
		// Its control socket takes a connection (the kernel queues it), but the request
		// would wait unanswered until SIGCONT, and the supervisor would then do an upgrade
		// this command had given up on.
		return res, withCode(exitFailed, fmt.Errorf("upgrade %s: its supervisor (pid %d) is stopped by a signal (SIGSTOP or SIGTSTP), and would take the upgrade only once continued: nothing was asked of it; 'kill -CONT %d' first, then upgrade",
			paths.Name, st.PID(), st.PID()))
	}
	_ = conn.SetDeadline(time.Now().Add(timeout + answerGrace))
	req := supervisor.ControlRequest{Op: "upgrade", Command: command, ReadyTimeout: readyTimeout, Within: timeout}
	if err := json.NewEncoder(conn).Encode(req); err != nil {
		return res, fmt.Errorf("upgrade %s: %w", paths.Name, err)
	}
	line, err := answer(ctx, conn)
	var in interruption
	if errors.As(err, &in) {
		// The supervisor does the upgrade, not this command: once it took the request,
		// it goes on without it. Whether it took it is not known here (it refuses one while
		// its program starts, or another upgrade runs): its log says.
		app.say(app.Config.Stderr, hclog.Error, "", fmt.Sprintf("upgrade %s: %v: its supervisor (pid %d) goes on with the upgrade if it took the request (its log says whether: '%s'): the old copy drains once the new one is ready, and serves on if it fails ('%s' shows which copy serves)",
			paths.Name, err, st.PID(), app.commandFor("logs", paths), app.commandFor("status", paths)))
		dieBy(in.sig)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) {
		return res, fmt.Errorf("upgrade %s: its supervisor closed the connection without an answer: it may have ended ('status' tells what runs now)", paths.Name)
	}
	if err != nil {
		return res, fmt.Errorf("upgrade %s: no answer from its supervisor within --timeout %s (the upgrade may still end; 'status' tells which copy serves): %w", paths.Name, timeout, err)
	}
	if err := json.Unmarshal(line, &res); err != nil {
		return res, fmt.Errorf("upgrade %s: bad answer %q: %w", paths.Name, line, err)
	}
	return res, nil
}

// undialed says why the control socket of the supervisor st found running could not be
// dialled (err): the instance stopped meanwhile (a stop, a crash: the supervisor removes
// its socket as it ends, or leaves a dead one), or was started again meanwhile (a restart:
// another supervisor), or its socket was deleted by hand while it runs, which it makes
// again at its next check of its files.
func undialed(app *App, paths instance.Paths, st instance.Status, err error) error {
	if now, ierr := instance.Inspect(paths); ierr == nil {
		switch {
		case !now.Running():
			return fmt.Errorf("%s stopped meanwhile (its supervisor was pid %d): there is no copy to hand over from; start it as it was with '%s'",
				paths.Name, st.PID(), app.commandFor("restart", paths))
		case now.PID() != st.PID():
			return fmt.Errorf("upgrade %s: it was started again meanwhile (its supervisor was pid %d, and is pid %d now): nothing was upgraded; upgrade it again if the new run is not the new build",
				paths.Name, st.PID(), now.PID())
		}
	}
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("upgrade %s: its supervisor (pid %d) runs, but its control socket %s is gone (deleted by hand?): it makes it again within a minute, at once if its pidfile is touched ('%s'): then upgrade again (a supervisor of a daemonkit from before 2026-11-26 15:00 UTC does not: restart it instead)",
			paths.Name, st.PID(), showPath(st.Record.Control), adviceJoin([]string{"touch", paths.PIDFile}))
	}
	return fmt.Errorf("upgrade %s: its supervisor (pid %d): %w", paths.Name, st.PID(), err)
}

// answer reads the supervisor's answer line on conn, or returns the interruption (Ctrl-C,
// SIGTERM) that ends ctx first: upgrade is then not waited for, though it goes on.
func answer(ctx context.Context, conn net.Conn) ([]byte, error) {
	type read struct {
		line []byte
		err  error
	}
	got := make(chan read, 1)
	go func() {
		line, err := bufio.NewReader(conn).ReadBytes('\n')
		got <- read{line, err}
	}()
	select {
	case r := <-got:
		return r.line, r.err
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
}

// startedWith is what upgrade needs of how an instance was started.
type startedWith struct {
	ReadyTimeout time.Duration   `json:"ready_timeout"` // 0 if the record does not say
	Supervise    json.RawMessage `json:"supervise"`     // nil for the built-in work
}

// noSockets is why the instance at paths, whose record is rec (nil if none), has no control
// socket to ask for an upgrade: a program that daemonizes itself (--ready pidfile:) can
// never be upgraded, as --socket is refused with it; any other was started without
// --socket, and is upgraded once it is started again with it.
func noSockets(app *App, paths instance.Paths, rec *instance.Record) error {
	name := paths.Name
	var sup struct{ Ready string }
	if rec != nil {
		started, _ := recordedStart(rec)
		if started.Supervise != nil && json.Unmarshal(started.Supervise, &sup) == nil {
			if ready, err := supervisor.ParseReadiness(sup.Ready); err == nil && ready.Kind == "pidfile" {
				return fmt.Errorf("%s cannot be upgraded: its program daemonizes itself (--ready %s), so two copies of it would share its pidfile (nor can it take --socket); to upgrade it, restart it with the program in the foreground (its own option: daemon off, --daemonize no, -D), --socket and another --ready", name, ready)
			}
		}
	}
	return fmt.Errorf("%s cannot be upgraded: it holds no sockets, as it was started without --socket: stop it ('%s') and start it again with --socket, for the upgrades after that", name, app.commandFor("stop", paths))
}

// recordedStart is how the record says the instance was started; known is false when it
// does not say (a record without a request, or another program's).
func recordedStart(rec *instance.Record) (started startedWith, known bool) {
	if len(rec.Request) == 0 || json.Unmarshal(rec.Request, &started) != nil {
		return startedWith{}, false
	}
	if string(started.Supervise) == "null" {
		started.Supervise = nil
	}
	return started, true
}

// reportUpgrade prints what the upgrade of the instance at paths did, with the exit code
// it means.
func reportUpgrade(app *App, paths instance.Paths, res supervisor.UpgradeResult) error {
	name := paths.Name
	switch {
	case res.Busy:
		return withCode(exitAlreadyUp, fmt.Errorf("upgrade %s: %s: wait for it to end ('status' shows the copies)", name, cmp.Or(res.Error, "another upgrade runs")))
	case !res.OK:
		msg := fmt.Sprintf("upgrade %s: %s", name, res.Error)
		switch {
		case res.OldEnded != "":
			msg += fmt.Sprintf("; and the old copy (pid %d) ended meanwhile (%s): no copy serves until its restart policy brings one ('status' says)", res.PID, res.OldEnded)
		case res.PID > 0 && !res.Stopping:
			msg += fmt.Sprintf("; the old copy (pid %d) serves on", res.PID)
		}
		if len(res.LogTail) > 0 {
			msg += "\nthe new copy's last lines:"
			for _, l := range res.LogTail {
				msg += "\n    " + l
			}
		}
		if requestUnread(res.LogTail) {
			msg += "\n" + versionSkew(app, paths)
		}
		return withCode(exitFailed, errors.New(msg))
	}
	old := fmt.Sprintf("the old copy (pid %d) drained in %s", res.OldPID, roundDuration(res.Drain))
	switch {
	case res.OldEnded != "":
		old = fmt.Sprintf("the old copy (pid %d) had ended on its own before (%s)", res.OldPID, res.OldEnded)
	case res.Killed:
		old = fmt.Sprintf("the old copy (pid %d) did not drain within %s: killed it (SIGKILL)", res.OldPID, roundDuration(res.Drain))
	case res.OldExit != "":
		old = fmt.Sprintf("the old copy (pid %d) ended in %s, %s, not as a drain ends (status 0): requests it was serving may have been cut off (its log says why)",
			res.OldPID, roundDuration(res.Drain), res.OldExit)
	}
	if res.Ended {
		if res.OldEnded == "" {
			old = fmt.Sprintf("the old copy (pid %d) was gone in %s", res.OldPID, roundDuration(res.Drain))
			if res.OldExit != "" {
				old += " (" + res.OldExit + ")"
			}
			if res.Killed {
				old = fmt.Sprintf("the old copy (pid %d) did not drain within %s: killed it (SIGKILL)", res.OldPID, roundDuration(res.Drain))
			}
		}
		fmt.Fprintf(app.Stdout, "upgraded %s: generation %d (pid %d) was ready in %s, but has ended since; %s\n",
			name, res.Generation, res.PID, roundDuration(res.Ready), old)
		return withCode(exitFailed, fmt.Errorf("upgrade %s: the new copy ended while the old one drained: 'status' and the log say how, and whether a restart brought the program back", name))
	}
	fmt.Fprintf(app.Stdout, "upgraded %s: generation %d (pid %d) serves, ready in %s; %s\n",
		name, res.Generation, res.PID, roundDuration(res.Ready), old)
	return nil
}

// nameNotCommand refuses 'upgrade web', where web, typed without --, is the name of an
// instance of the state directory: every other command that acts on an instance takes its
// name so (stop web), and upgrade would instead run web as the new copy's command, with
// none of the arguments it ran with, and record that command for restart. A new command
// after -- is taken as it is.
func (c *UpgradeCmd) nameNotCommand(app *App) error {
	if len(c.Command) == 0 || c.Command[0] == "--" || instance.ValidateName(c.Command[0]) != nil {
		return nil
	}
	word := c.Command[0]
	layout, err := app.layout(false)
	if err != nil {
		return nil
	}
	paths, err := layout.Resolve(word, "", "")
	if err != nil {
		return nil
	}
	if _, err := os.Lstat(paths.Record); err != nil {
		return nil
	}
	line := app.commandFor("upgrade", paths) // the program's command path and --state-dir kept
	return withCode(exitUsage, fmt.Errorf("upgrade %s: %s names an instance here, and upgrade takes the new copy's command, not a name: '%s' upgrades it with the command it runs (the built-in work: to the binary that runs upgrade), '%s -- NEWCMD [ARGS...]' with another",
		word, word, line, line))
}
