package strategy

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/daemonkit/daemonkit/pidfile"
	"github.com/hashicorp/go-hclog"
)

// Result is what a successful Launch started.
type Result struct {
	PID    int    // the daemon's pid, as it reported it
	Listen string // the address it listens on, if it said
}

const (
	// defaultReadyTimeout is used when Spec.ReadyTimeout is not positive.
	defaultReadyTimeout = 10 * time.Second
	// exitGrace bounds every wait for a process Launch expects to exit on its own (a
	// daemon that said it cannot start, the re-exec intermediate); past it, Launch kills.
	exitGrace = 5 * time.Second
)

// Launch starts the daemon described by spec with s, and returns only once the daemon has
// reported that it is ready, or with an error that says why it is not. It is the parent
// side of the readiness handshake, the same for every strategy:
//
//   - If a process holds spec.PIDFile, it returns an *AlreadyRunningError (errors.Is
//     ErrAlreadyRunning) at once, without starting anything. The daemon checks again under
//     the lock: a daemon that finds the pidfile held reports it, with the same result.
//   - It marks every descriptor of this process from 3 up close-on-exec, so nothing the
//     caller leaked reaches the daemon, and gives the daemon /dev/null as its stdin, the log
//     (spec.LogPath, appended to; /dev/null if empty) as its stdout and stderr, and the
//     write end of the handshake pipe as descriptor 3.
//   - It waits for the daemon's report: ready (success), already running, or an error (the
//     daemon's own message). If the handshake ends without one, the daemon died: the error
//     (errors.Is ErrExited) says how ("exit status 1", "killed by signal 9 (SIGKILL)") and
//     quotes the last lines this run wrote to the log. After spec.ReadyTimeout (default
//     10s), it kills exactly that daemon and returns a *NotReadyError (errors.Is ErrNotReady);
//     if ctx ends first, the same, with an error wrapping ctx.Err().
//
// After any failure, the daemon is gone (Launch waits for it, killing it past a bound), and
// so is anything left in the process group of the process Start made (the daemon's own
// children, unless they moved to another group); so is the pidfile, unless another process
// holds it. Nothing else is ever signalled. The already-running case changes nothing.
//
// Side effects on the calling process: descriptors 3 and up are left close-on-exec; a
// strategy that starts the daemon with SIGHUP ignored (nohup) leaves SIGHUP ignored in the
// caller (see that strategy); and on Linux the caller is a child subreaper while Launch
// runs, so a re-exec daemon is reparented to the caller (until the caller exits, as the
// command does right after Launch) and Launch can tell how it died. Launch logs its steps
// at debug level and never writes to stdout.
func Launch(ctx context.Context, s Strategy, spec Spec, log hclog.Logger) (Result, error) {
	if log == nil {
		log = hclog.NewNullLogger()
	}
	if err := ctx.Err(); err != nil {
		return Result{}, fmt.Errorf("launch: %w", err)
	}
	if spec.PIDFile != "" {
		st, err := pidfile.Probe(spec.PIDFile)
		log.Debug("probed pidfile", "path", spec.PIDFile, "state", st.State, "holder", st.PID)
		if st.State == pidfile.Running {
			return Result{}, &AlreadyRunningError{PID: st.PID}
		}
		if err != nil {
			return Result{}, err
		}
	}
	closeOnExecFrom3()
	files, logStart, err := openFiles(spec.LogPath)
	if err != nil {
		return Result{}, err
	}
	r, w, err := os.Pipe()
	if err != nil {
		closeFiles(files)
		return Result{}, fmt.Errorf("create handshake pipe: %w", err)
	}
	files.Ready = w

	leave := enterSubreaper(log)
	defer leave()
	started, err := s.Start(spec, files)
	closeFiles(files) // the child has its copies; without ours, EOF means the daemon's end closed
	if err != nil {
		r.Close()
		return Result{}, err
	}
	log.Debug("started", "name", spec.Name, "child", started.Process.Pid, "is_daemon", started.IsDaemon)

	timeout := spec.ReadyTimeout
	if timeout <= 0 {
		timeout = defaultReadyTimeout
	}
	l := &launcher{spec: spec, log: log, started: started, timeout: timeout, logStart: logStart}
	if started.IsDaemon {
		l.daemon = openTarget(started.Process.Pid, log)
	}
	defer func() { l.daemon.close() }() // l.daemon may be set by await
	return l.await(ctx, r)
}

// launcher is one Launch after Start: it waits for the daemon's word and cleans up.
type launcher struct {
	spec     Spec
	log      hclog.Logger
	started  Started
	timeout  time.Duration
	logStart int64   // the log's size before this run
	daemon   *target // the daemon, once known: at Start if it is the child, else at its first report
}

// await reads the handshake until it ends one way or another.
func (l *launcher) await(ctx context.Context, r *os.File) (Result, error) {
	done := make(chan struct{})
	defer close(done)
	defer r.Close() // wakes the reader if it is still reading
	events := readReports(r, done)

	timer := time.NewTimer(l.timeout)
	defer timer.Stop()
	for {
		select {
		case ev := <-events:
			if ev.err != nil {
				l.abort(true, false)
				return Result{}, fmt.Errorf("read handshake: %w; killed the daemon%s", ev.err, l.pidNote())
			}
			if ev.eof {
				return Result{}, l.exited()
			}
			rep := ev.rep
			if l.daemon == nil && rep.PID > 0 {
				l.daemon = openTarget(rep.PID, l.log)
			}
			switch {
			case rep.Ready:
				l.awaitHandshakeEnd(ctx, events, timer.C)
				return l.succeed(rep)
			case rep.Running != 0:
				l.log.Debug("daemon reports already running", "pid", rep.PID, "holder", rep.Running)
				l.abort(false, true)
				return Result{}, &AlreadyRunningError{PID: rep.Running}
			case rep.Error != "":
				l.log.Debug("daemon reports an error", "pid", rep.PID, "error", rep.Error)
				l.abort(false, false)
				return Result{}, errors.New(rep.Error)
			default:
				l.log.Debug("daemon reported its pid", "pid", rep.PID)
			}
		case <-timer.C:
			l.log.Debug("daemon not ready in time; killing it", "timeout", l.timeout, "pid", l.pid())
			l.abort(true, false)
			return Result{}, &NotReadyError{After: l.timeout, PID: l.pid(), log: l.logTail()}
		case <-ctx.Done():
			l.log.Debug("launch canceled; killing the daemon", "pid", l.pid())
			l.abort(true, false)
			return Result{}, fmt.Errorf("wait for the daemon to be ready: %w; killed it%s%s", ctx.Err(), l.pidNote(), l.logTail())
		}
	}
}

// awaitHandshakeEnd waits for the daemon to close its end of the handshake, which it does
// right after READY, so that when start returns the daemon holds no descriptor but the
// ones it keeps for its life. The daemon is ready either way: a timeout here kills nothing.
func (l *launcher) awaitHandshakeEnd(ctx context.Context, events <-chan event, timeout <-chan time.Time) {
	select {
	case ev := <-events:
		if !ev.eof {
			l.log.Debug("daemon said more after READY", "report", ev.rep, "error", ev.err)
		}
	case <-timeout:
		l.log.Debug("daemon kept the handshake open after READY")
	case <-ctx.Done():
	}
}

// succeed lets the daemon go: a direct child is released, an intermediate reaped.
func (l *launcher) succeed(rep Report) (Result, error) {
	pid := rep.PID
	if pid == 0 {
		pid = l.pid()
	}
	l.log.Debug("daemon ready", "pid", pid, "listen", rep.Listen)
	if l.started.IsDaemon {
		if err := l.started.Process.Release(); err != nil {
			l.log.Debug("release daemon process", "error", err)
		}
	} else if ws, err := waitProcess(l.started.Process, exitGrace); err != nil || ws.ExitStatus() != 0 {
		l.log.Warn("the intermediate process did not exit cleanly", "pid", l.started.Process.Pid, "status", describeWait(ws, err))
	}
	return Result{PID: pid, Listen: rep.Listen}, nil
}

// exited builds the error for a handshake that ended without a final report.
func (l *launcher) exited() error {
	l.log.Debug("handshake ended without a report", "pid", l.pid())
	how, killed := l.abort(false, false)
	if killed {
		return fmt.Errorf("%w: it closed the handshake without a word and did not exit; killed it%s%s", ErrExited, l.pidNote(), l.logTail())
	}
	return fmt.Errorf("%w: %s%s", ErrExited, how, l.logTail())
}

// abort makes sure the daemon is gone (killing it at once if kill, else after exitGrace),
// and whatever it left in its process group too, reaps what this process must reap, and,
// unless keepPIDFile, removes the pidfile if nobody holds it. It returns how the daemon
// ended, and whether it had to be killed for not exiting.
func (l *launcher) abort(kill, keepPIDFile bool) (how string, killed bool) {
	d := l.daemon
	if kill {
		l.killDaemon()
	}
	if d != nil && !d.waitGone(exitGrace) {
		l.log.Debug("daemon still running; killing it", "pid", d.pid)
		killed = true
		d.kill()
		if !d.waitGone(exitGrace) {
			l.log.Warn("daemon still running after SIGKILL", "pid", d.pid)
		}
	}
	swept := l.sweep()
	ws, err := waitProcess(l.started.Process, exitGrace)
	how = describeWait(ws, err)
	if !l.started.IsDaemon && d != nil && d.pid != l.started.Process.Pid {
		// The re-exec daemon: after the intermediate exits it is this process's child
		// (Linux: subreaper), so its wait status can be had.
		how = "exited"
		if ws, ok := reapOrphan(d.pid); ok {
			how = describeStatus(ws)
		}
	}
	for _, pid := range swept {
		reapOrphan(pid) // reparented to this process (Linux: subreaper), or not ours at all
	}
	if !keepPIDFile && l.spec.PIDFile != "" {
		removed, err := pidfile.RemoveStale(l.spec.PIDFile)
		switch {
		case errors.Is(err, pidfile.ErrLocked):
			l.log.Debug("pidfile left alone: another process holds it", "path", l.spec.PIDFile, "error", err)
		case err != nil:
			l.log.Warn("could not remove stale pidfile", "path", l.spec.PIDFile, "error", err)
		case removed:
			l.log.Debug("removed stale pidfile", "path", l.spec.PIDFile)
		}
	}
	return how, killed
}

// killDaemon sends SIGKILL to the daemon, or, if it never said who it is, to the child
// (the only process of this launch that can be named).
func (l *launcher) killDaemon() {
	if l.daemon != nil {
		l.daemon.kill()
		return
	}
	if err := l.started.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		l.log.Debug("kill child", "pid", l.started.Process.Pid, "error", err)
	}
}

// pid is the daemon's pid, or 0 if it never said.
func (l *launcher) pid() int {
	if l.daemon == nil {
		return 0
	}
	return l.daemon.pid
}

// pidNote is " (pid N)" when the daemon's pid is known.
func (l *launcher) pidNote() string {
	if pid := l.pid(); pid > 0 {
		return fmt.Sprintf(" (pid %d)", pid)
	}
	return ""
}

// logTail formats the last lines this run wrote to the log, for an error message.
func (l *launcher) logTail() string {
	return formatTail(readTail(l.spec.LogPath, l.logStart, tailLines))
}
