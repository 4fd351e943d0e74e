// Package launcher is the parent side of starting a daemon: it asks a strategy to start
// it, waits for the daemon's word on the handshake pipe, and either returns once the
// daemon is ready or says exactly why it is not, leaving nothing behind. It is the same for
// every strategy.
package launcher

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/daemonkit/daemonkit/handshake"
	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/daemonkit/daemonkit/logfile"
	"github.com/daemonkit/daemonkit/pidfile"
	"github.com/daemonkit/daemonkit/strategy"
)

// Result is what a successful Launch started.
type Result struct {
	PID    int    // the daemon's pid, as it reported it
	Listen string // the address it listens on, if it said
	// Dropped is how many of its log lines the daemon could not write by the time it was
	// ready (its log's file system full, say), as it said: 0 if none, or if it did not say.
	Dropped uint64
}

const (
	// defaultReadyTimeout is used when Spec.ReadyTimeout is not positive.
	defaultReadyTimeout = 10 * time.Second
	// exitGrace bounds every wait for a process Launch expects to exit on its own (a
	// daemon that said it cannot start, the re-exec intermediate); past it, Launch kills.
	exitGrace = 5 * time.Second
)

// Launch starts the daemon described by spec with s, and returns only once the daemon has
// reported that it is ready, or with an error that says why it is not. Every error names
// the instance ("start NAME: ..."), so a caller prints it as it is.
//
//   - If a process holds spec.PIDFile, it returns a *pidfile.LockedError naming it (errors.Is
//     pidfile.ErrLocked) at once, without starting anything. The daemon checks again under
//     the lock: a daemon that finds the pidfile held reports it, with the same result.
//   - It marks every descriptor of this process from 3 up close-on-exec, so nothing the
//     caller leaked reaches the daemon, and gives the daemon /dev/null as its stdin, the log
//     (spec.LogPath, appended to; /dev/null if empty) as its stdout and stderr, and the
//     write end of the handshake pipe as descriptor handshake.FD.
//   - It waits for the daemon's report: ready (success), already running, or an error (the
//     daemon's own message; errors.Is ErrWorkFailed when the daemon said its work failed
//     before it was ready: returned an error, or panicked). If the handshake ends without one, the daemon died: the error
//     (errors.Is ErrExited) says how ("exit status 1", "killed by signal 9 (SIGKILL)") and
//     quotes the last lines this run wrote to the log, or, if they end in a Go crash's
//     stack trace, the crash's own lines ("fatal error: ...", "panic: ..."). After
//     spec.ReadyTimeout (default 10s), it kills exactly that daemon and returns a
//     *NotReadyError (errors.Is ErrNotReady); if ctx ends first, the same, with an error
//     that gives context.Cause(ctx).
//   - A daemon that says a stop came before it was ready (it drains its work as a stop
//     drains it) is given the time its drain may take, which it says, rather than killed
//     at the ready deadline; its own report of the stop is then the error. If it ends
//     without that report (killed during its drain), or takes longer still (then Launch
//     kills it), the error is a *StoppedError (errors.Is ErrStopped).
//
// After any failure, the daemon is gone (Launch waits for it, killing it past a bound), and
// so is anything left in the process group of the process Start made (the daemon's own
// children, unless they moved to another group); so is the pidfile, unless another process
// holds it; so is the log, if this launch created it and it is still empty (a log that was
// there before, or has content, stays). Nothing else is ever signalled. The
// already-running case changes nothing.
//
// A nil s is an error (errors.Is strategy.ErrNilStrategy), as is a strategy whose
// Descriptor.New returned nil, which names itself; neither starts anything. So is a spec
// that Spec.Validate refuses (errors.Is strategy.ErrBadSpec), and one whose exec the kernel
// would refuse for its size, as CheckExec says (errors.Is syscall.E2BIG). A Start that
// returns no Process and no error is an error too (errors.Is ErrNoProcess). An error of a
// limit (EAGAIN of fork, EMFILE, ENFILE) says which limit, as ExplainLimit does.
//
// Side effects on the calling process: descriptors 3 and up are left close-on-exec, and on
// Linux the caller is a child subreaper while Launch runs, so a re-exec daemon is
// reparented to the caller (until the caller exits, as the command does right after
// Launch) and Launch can tell how it died. A ready daemon that is the caller's child so (or
// directly: setsid, nohup) is waited for on a goroutine of its own, so that a caller that
// goes on after Launch collects no zombie when the daemon ends. Launch logs its steps at
// debug level and never writes to stdout.
func Launch(ctx context.Context, s strategy.Strategy, spec strategy.Spec, log hclog.Logger) (Result, error) {
	res, err := launch(ctx, s, spec, log)
	var locked *pidfile.LockedError
	if err != nil && !errors.As(err, &locked) {
		err = fmt.Errorf("start %s: %w", cmp.Or(spec.Name, "(no name)"), err)
	}
	return res, err
}

func launch(ctx context.Context, s strategy.Strategy, spec strategy.Spec, log hclog.Logger) (_ Result, err error) {
	if log == nil {
		log = hclog.NewNullLogger()
	}
	if s == nil {
		return Result{}, fmt.Errorf("%w: Launch was given none", strategy.ErrNilStrategy)
	}
	if err := spec.Validate(); err != nil {
		return Result{}, err
	}
	if err := CheckExec(spec); err != nil { // refused by the kernel: nothing is made
		return Result{}, err
	}
	if ctx.Err() != nil {
		return Result{}, context.Cause(ctx)
	}
	if spec.PIDFile != "" {
		st, err := pidfile.Probe(spec.PIDFile)
		log.Debug("probed pidfile", "path", spec.PIDFile, "state", st.State.String(), "holder", st.PID)
		if st.State == pidfile.Running {
			return Result{}, &pidfile.LockedError{Path: spec.PIDFile, PID: st.PID}
		}
		if err != nil {
			return Result{}, pidfile.Advise(spec.PIDFile, err, "--pidfile (or --state-dir)")
		}
		if st.Foreign { // the daemon would refuse it: say so before anything is made
			return Result{}, st.ForeignErr
		}
	}
	CloseOnExecFrom3()
	files, logStart, madeLog, err := openFiles(spec.LogPath)
	if err != nil {
		return Result{}, ExplainLimit(err)
	}
	defer func() {
		if err != nil && !errors.As(err, new(*pidfile.LockedError)) { // running: its daemon's log
			removeMadeLog(spec.LogPath, madeLog, log)
		}
	}()
	r, w, err := os.Pipe()
	if err != nil {
		closeFiles(files)
		return Result{}, fmt.Errorf("create handshake pipe: %w", ExplainLimit(err))
	}
	files.Ready = w

	leave, err := proc.EnterSubreaper()
	if err != nil {
		log.Debug("not a subreaper: how a re-exec daemon ends will be unknown", "error", err)
	}
	defer leave()
	started, err := s.Start(spec, files)
	closeFiles(files) // the child has its copies; without ours, EOF means the daemon's end closed
	if err != nil {
		r.Close()
		// fork's EAGAIN (ulimit -u), os/exec's own pipe's EMFILE (ulimit -n)
		err = ExplainLimit(err)
		if errors.Is(err, syscall.E2BIG) { // past CheckExec: a system whose bounds it does not know
			err = fmt.Errorf("%w: the daemon's arguments and environment take %d bytes, more than one exec takes here (ARG_MAX, and on Linux 128 KiB a string); shorten the environment, or the command line (which the request in them carries), or read the arguments from a file",
				err, execSize("", append([]string{spec.Argv0}, spec.Args...), spec.Env))
		}
		return Result{}, err
	}
	if started.Process == nil {
		r.Close()
		return Result{}, fmt.Errorf("%w: its Start returned no Process and no error (%T)", ErrNoProcess, s)
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
	spec     strategy.Spec
	log      hclog.Logger
	started  strategy.Started
	timeout  time.Duration
	logStart int64   // the log's size before this run
	daemon   *target // the daemon, once known: at Start if it is the child, else at its first report
	status   string  // the daemon's last status line, if it sent one
	stopping string  // why the daemon stops before it was ready, if it said so: "stopped by SIGTERM"
	// groupChecked says checkGroup has looked at the daemon, once its pid was known
	groupChecked bool
	pipe         *countedPipe // the handshake's end that await reads, nil if it reads r itself
}

// await reads the handshake until it ends one way or another.
func (l *launcher) await(ctx context.Context, r *os.File) (Result, error) {
	done := make(chan struct{})
	defer close(done)
	defer r.Close() // wakes the reader if it is still reading
	pipe, err := newCountedPipe(r)
	if err != nil {
		return l.awaitReports(ctx, r, handshake.NewReader(r, done))
	}
	l.pipe = pipe
	return l.awaitReports(ctx, r, handshake.NewReader(pipe, done))
}

// awaitReports is await's wait, for the reports rd reads from r.
func (l *launcher) awaitReports(ctx context.Context, r *os.File, rd *handshake.Reader) (Result, error) {
	events := rd.Events()

	begin := time.Now()
	timer := time.NewTimer(l.timeout)
	defer timer.Stop()
	var taken int64    // where the last report taken ends in the handshake
	limit := int64(-1) // once the deadline has passed: the bytes the daemon had written by then
	written := func() int64 { return rd.Taken() + int64(pendingBytes(r)) }
	if l.pipe != nil {
		written = l.pipe.written // no read's bytes uncounted meanwhile (countedPipe)
	}
	for {
		var ev handshake.Event
		select {
		case ev = <-events:
			if limit < 0 && time.Since(begin) >= l.timeout { // the deadline has passed, unseen yet
				limit = written()
			}
			if limit >= 0 && ev.End > limit { // written after the deadline was seen to pass
				return Result{}, l.notReady()
			}
		case <-timer.C:
			if limit < 0 {
				limit = written()
			}
			late, ok := lateWord(ctx, events, taken, limit)
			if !ok {
				if ctx.Err() != nil {
					return Result{}, l.canceled(ctx)
				}
				return Result{}, l.notReady()
			}
			ev = late
			timer.Reset(0) // the deadline has passed: once this word is taken, look again
		case <-ctx.Done():
			limit := written()
			if writersGone(r) {
				// Its last word was written, and its end closed, before the interrupt was
				// seen: every word counts, those read but not yet counted (Taken) among them.
				limit = math.MaxInt64
			}
			if res, err, done := l.wordBeforeInterrupt(ctx, events, timer, begin, taken, limit); done {
				return res, err
			}
			return Result{}, l.canceled(ctx)
		}
		taken = max(taken, ev.End)
		bound := l.timeout
		if res, err, done := l.take(ctx, ev, events, timer, begin); done {
			return res, err
		}
		if l.timeout != bound {
			limit = -1 // more time, asked for by the deadline: a new deadline, a new limit
		}
	}
}

// wordBeforeInterrupt takes, once ctx is done (Ctrl-C, SIGTERM), the reports the daemon
// wrote before that was seen (limit bytes of the handshake, taken of them taken already),
// as lateWord does at the deadline: the interrupt and the daemon's word can come together
// (this process was stopped, Ctrl-Z, while the daemon got ready, and `kill %1` sent it
// SIGTERM with SIGCONT), and a daemon that had said it was ready, which status already
// showed running, is not killed for an interrupt it came before, nor said to have been
// killed before it was ready; nor is one that had failed, or found its instance running,
// said to be interrupted. done says a report ended the launch (res, err).
func (l *launcher) wordBeforeInterrupt(ctx context.Context, events <-chan handshake.Event, timer *time.Timer, begin time.Time, taken, limit int64) (res Result, err error, done bool) {
	for {
		ev, ok := lateWord(context.Background(), events, taken, limit)
		if !ok {
			return Result{}, nil, false
		}
		taken = max(taken, ev.End)
		if res, err, done := l.take(ctx, ev, events, timer, begin); done {
			return res, err, true // ready, already running, failed: the daemon's word
		}
	}
}

// canceled gives up on the launch when ctx is done (Ctrl-C): it kills the daemon, and
// says so.
func (l *launcher) canceled(ctx context.Context) error {
	l.log.Debug("launch canceled; killing the daemon", "pid", l.pid())
	l.abort(abortOptions{kill: true})
	return &CanceledError{Cause: context.Cause(ctx), PID: l.pid(), log: l.logTail()}
}

// take acts on one event of the handshake, and says whether the launch is over (with its
// result), or goes on.
func (l *launcher) take(ctx context.Context, ev handshake.Event, events <-chan handshake.Event, timer *time.Timer, begin time.Time) (res Result, err error, done bool) {
	if ev.Err != nil {
		l.abort(abortOptions{kill: true})
		return Result{}, fmt.Errorf("read handshake: %w; killed the daemon%s", ev.Err, l.pidNote()), true
	}
	if ev.EOF {
		return Result{}, l.exited(), true
	}
	rep := ev.Report
	if l.daemon == nil && rep.PID > 0 {
		l.daemon = openTarget(rep.PID, l.log)
	}
	if rep.PID > 0 && !l.groupChecked { // the daemon's own word: the process that runs it
		l.groupChecked = true
		if err := checkGroup(rep.PID); err != nil {
			l.abort(abortOptions{kill: true})
			return Result{}, err, true
		}
	}
	switch {
	case rep.Ready:
		l.awaitHandshakeEnd(ctx, events, timer.C)
		res, err := l.succeed(rep)
		return res, err, true
	case rep.Running != 0:
		l.log.Debug("daemon reports already running", "pid", rep.PID, "holder", rep.Running)
		l.abort(abortOptions{keepPIDFile: true})
		return Result{}, &pidfile.LockedError{Path: l.spec.PIDFile, PID: rep.Running}, true
	case rep.Error != "":
		l.log.Debug("daemon reports an error", "pid", rep.PID, "error", rep.Error)
		l.abort(abortOptions{})
		err := errors.New(rep.Error + l.logTail())
		if rep.Work { // its work failed, as the daemon said: the serve function's error, a panic
			err = handshake.WorkFailed(err)
		}
		return Result{}, err, true
	case rep.Stopping != "":
		l.log.Debug("daemon stops before it was ready", "pid", rep.PID, "why", rep.Stopping, "within", rep.Extend)
		l.stopping = rep.Stopping
		l.extend(timer, begin, rep) // its drain, not its readiness, is waited for now
	case rep.Extend > 0:
		l.extend(timer, begin, rep)
	case rep.Status != "":
		l.log.Debug("daemon status", "pid", rep.PID, "status", rep.Status)
		l.status = rep.Status
	default:
		l.log.Debug("daemon reported its pid", "pid", rep.PID)
	}
	return Result{}, nil, false
}

// notReady gives up on a daemon not ready in time: it kills it, and says so, and why, if
// the daemon was stopped by a signal (SIGSTOP or SIGTSTP), which its last status could not
// say.
func (l *launcher) notReady() error {
	if l.stopping != "" {
		l.log.Debug("daemon did not end its drain in time; killing it", "timeout", l.timeout, "pid", l.pid())
		l.abort(abortOptions{kill: true})
		return l.stopped(fmt.Sprintf("its drain did not end in time (%s since start began): killed it", l.timeout))
	}
	l.log.Debug("daemon not ready in time; killing it", "timeout", l.timeout, "pid", l.pid())
	stopped := false
	if pid := l.pid(); pid > 0 {
		st, err := proc.ReadStat(pid)
		stopped = err == nil && st.Stopped()
	}
	l.abort(abortOptions{kill: true})
	return &NotReadyError{After: l.timeout, PID: l.pid(), Status: l.status, Stopped: stopped, log: l.logTail()}
}

// extend moves the ready deadline to rep.Extend from now, when that is later than the
// deadline already set. As with systemd's EXTEND_TIMEOUT_USEC, an extension never shortens
// the wait: a program that asks for 5s once, early, still has all of --ready-timeout.
// l.timeout becomes the whole wait from begin, which NotReadyError reports.
func (l *launcher) extend(timer *time.Timer, begin time.Time, rep handshake.Report) {
	waited := time.Since(begin)
	until := waited + rep.Extend
	if until < waited { // saturate: EXTEND_TIMEOUT_USEC may be near the largest duration
		until = math.MaxInt64
	}
	if until <= l.timeout {
		l.log.Debug("daemon asked for less time than it has", "pid", rep.PID, "extend", rep.Extend)
		return
	}
	l.log.Debug("daemon needs more time", "pid", rep.PID, "extend", rep.Extend)
	timer.Reset(rep.Extend)
	l.timeout = until.Round(time.Millisecond)
}

// awaitHandshakeEnd waits for the daemon to close its end of the handshake, which it does
// right after READY, so that when start returns the daemon holds no descriptor but the
// ones it keeps for its life. The daemon is ready either way: a timeout here kills nothing.
func (l *launcher) awaitHandshakeEnd(ctx context.Context, events <-chan handshake.Event, timeout <-chan time.Time) {
	select {
	case ev := <-events:
		if !ev.EOF {
			l.log.Debug("daemon said more after READY", "report", ev.Report, "error", ev.Err)
		}
	case <-timeout:
		l.log.Debug("daemon kept the handshake open after READY")
	case <-ctx.Done():
	}
}

// succeed lets the daemon go: an intermediate is reaped, and a daemon left this process's
// child is reaped when it ends (reapWhenGone).
func (l *launcher) succeed(rep handshake.Report) (Result, error) {
	pid := rep.PID
	if pid == 0 {
		pid = l.pid()
	}
	l.log.Debug("daemon ready", "pid", pid, "listen", rep.Listen)
	daemon := l.started.Process // a direct child: reaped when it ends
	if !l.started.IsDaemon && l.started.Process.Pid == pid {
		// A strategy that said its process is an intermediate, when it is the daemon that
		// reported: waiting for it to exit, then killing it, would kill the daemon just
		// started and say it runs.
		l.log.Debug("the strategy's intermediate is the daemon itself (Started.IsDaemon is false)", "pid", pid)
	} else if !l.started.IsDaemon {
		if ws, err := waitProcess(l.started.Process, exitGrace); err != nil || ws.ExitStatus() != 0 {
			l.log.Warn("the intermediate process did not exit cleanly", "pid", l.started.Process.Pid, "status", describeWait(ws, err))
		}
		daemon = adopted(pid)
	}
	if daemon != nil {
		go reapWhenGone(daemon)
	}
	return Result{PID: pid, Listen: rep.Listen, Dropped: rep.Dropped}, nil
}

// reapWhenGone reaps daemon, a child of this process, once it has exited. It waits on the
// daemon's pidfd through the runtime's poller, holding no thread for the daemon's life
// (where there is no pidfd, by polling), and only then calls Wait, which reaps at once.
func reapWhenGone(daemon *os.Process) {
	if runtime.GOOS == "linux" { // elsewhere proc's wait may count a zombie as alive
		if p, err := proc.Open(daemon.Pid); err == nil {
			_ = p.Wait(context.Background())
			p.Close()
		}
	}
	_, _ = daemon.Wait() // at once, or an error if it is not a child
}

// adopted is the daemon pid if this process adopted it as a subreaper, else nil.
func adopted(pid int) *os.Process {
	st, err := proc.ReadStat(pid)
	if err != nil || st.PPID != os.Getpid() {
		return nil
	}
	p, err := os.FindProcess(pid) // a pidfd: it names this process even once reaped
	if err != nil {
		return nil
	}
	return p
}

// exited builds the error for a handshake that ended without a final report.
func (l *launcher) exited() error {
	l.log.Debug("handshake ended without a report", "pid", l.pid())
	how, killed := l.abort(abortOptions{})
	if l.stopping != "" && !killed {
		return l.stopped(how + " during its drain")
	}
	if killed {
		return fmt.Errorf("%w: it closed the handshake without a word and did not exit; killed it%s%s", ErrExited, l.pidNote(), l.logTail())
	}
	return fmt.Errorf("%w: %s%s", ErrExited, how, l.logTail())
}

// stopped is the error of a start that a stop called off (the daemon said so), whose
// daemon then ended without its last report, as how says.
func (l *launcher) stopped(how string) error {
	return &StoppedError{Why: l.stopping, How: how, PID: l.pid(), log: l.logTail()}
}

// abortOptions say how abort treats what is left of a failed launch.
type abortOptions struct {
	kill        bool // SIGKILL the daemon at once, rather than give it exitGrace to exit
	keepPIDFile bool // another daemon holds the pidfile: leave it alone
}

// abort makes sure the daemon is gone, and whatever it left in its process group too,
// reaps what this process must reap, and removes the pidfile if nobody holds it, as o
// says. It returns how the daemon ended, and whether it had to be killed for not exiting.
func (l *launcher) abort(o abortOptions) (how string, killed bool) {
	d := l.daemon
	if o.kill {
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
	if !l.started.IsDaemon && d == nil {
		// The intermediate's status is not the daemon's, which never said who it is.
		how = fmt.Sprintf("its intermediate process (pid %d) ended (%s) and no daemon reported; how the daemon ended is not known",
			l.started.Process.Pid, how)
	}
	if !l.started.IsDaemon && d != nil && d.pid != l.started.Process.Pid {
		// The re-exec daemon: after the intermediate exits it is this process's child
		// (Linux: subreaper), so its wait status can be had.
		how = "exited"
		if ws, ok := proc.Reap(d.pid, exitGrace); ok {
			how = describeStatus(ws)
		}
	}
	for _, pid := range swept {
		proc.Reap(pid, exitGrace) // reparented to this process (Linux: subreaper), or not ours at all
	}
	if !o.keepPIDFile && l.spec.PIDFile != "" {
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

// logTail formats the last lines this run wrote to the log, or the Go crash they end
// with, for an error message (formatTail), from wherever the crash's reason begins
// (crashFarBack).
func (l *launcher) logTail() string {
	lines := logfile.Tail(l.spec.LogPath, l.logStart, scanLines)
	if crash, span := crashFarBack(lines, l.spec.LogPath, l.logStart); crash != nil {
		return formatCrash(crash, l.spec.LogPath, span)
	}
	return formatTail(lines, l.spec.LogPath)
}
