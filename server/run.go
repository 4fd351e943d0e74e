package server

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/daemonkit/daemonkit/handshake"
	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/internal/chans"
	"github.com/daemonkit/daemonkit/internal/openfiles"
	"github.com/daemonkit/daemonkit/internal/storage"
	"github.com/daemonkit/daemonkit/pidfile"
)

// Stopped is the cause (context.Cause) of a Serve context cancelled by a stop signal: a
// supervisor passes the same signal on to its program.
type Stopped struct{ Signal os.Signal }

// Error says which signal stopped it: "stopped by SIGTERM".
func (e Stopped) Error() string { return "stopped by " + signalLabel(e.Signal) }

// Run runs w as a daemon (or in the foreground) until SIGTERM or SIGINT (or until ctx is
// done), then lets it drain and returns nil.
//
// In this order: it catches its signals before anything else, so that a stop that arrives
// during start-up is not lost (before the workload is ready, it cancels the start: the
// workload is drained as a stop drains it, and the launcher hears "stopped by SIGTERM before
// it was ready"), and clears the signal mask and
// ignored signals inherited at exec; it reports its pid; it takes the pidfile lock (held:
// it reports the holder and returns the *pidfile.LockedError, having written nothing to the
// log); it starts the workload and waits for it to say ready (if it returns or panics
// first: it reports why, with the panic's stack in the log, and removes its pidfile); it
// writes the record, logs "started" and reports ready. Then SIGHUP (unless IgnoreHUP) and
// SIGUSR1 reopen the log, SIGHUP also reloads a Reloader, and a stop cancels the
// workload's context and waits up to ShutdownTimeout for it to return (a second stop gives
// up at once), logs "stopped", kills what a Sweeper's work left running, and removes the
// record and the pidfile, whose lock is held until that is done. A workload that ends on its own ends the run with its error.
//
// Every error Run returns is in the log already, but a *pidfile.LockedError, and a failed
// start in the foreground on stderr (no Reporter, no LogPath: see Options.Reporter), which
// the caller prints once.
// The error of a workload that failed before it was ready (returned, or panicked) matches
// handshake.ErrWorkFailed (errors.Is), and unwraps to the workload's own error; the
// launcher's error of such a start matches it too. A nil w fails so, saying it is nil.
func Run(ctx context.Context, w Workload, opts Options) error {
	var forward, stop []os.Signal
	if f, ok := w.(Forwarder); ok {
		forward = f.ForwardSignals()
	}
	if s, ok := w.(StopSignaler); ok {
		stop = s.StopSignals()
	}
	sigs := watchSignals(opts.IgnoreHUP, forward, stop)
	defer sigs.close()
	if opts.SignalsCaught != nil {
		opts.SignalsCaught()
	}
	rep := opts.Reporter
	defer rep.Close()
	log := opts.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}
	if opts.ShutdownTimeout <= 0 {
		opts.ShutdownTimeout = DefaultShutdownTimeout
	}
	if opts.PIDFileCheck <= 0 {
		opts.PIDFileCheck = DefaultPIDFileCheck
	}
	// reload marks the SIGHUP it sends only a daemon that takes the mark (run)
	opts.Record.TakesReloadMark = opts.HangupStops && opts.RecordPath != ""
	if opts.LogDescriptors != nil {
		opts.Record.LogFD = opts.LogDescriptors.FD() // status and reopen look at it alone
	}
	drops := make(chan struct{}, 1)
	if opts.LogWriter != nil {
		opts.LogWriter.OnDrop = func(uint64, error) {
			select {
			case drops <- struct{}{}:
			default: // one pending update counts them all
			}
		}
	}
	startedErr := rep.Started(os.Getpid())

	pf, err := pidfile.Acquire(opts.PIDFile)
	if err != nil {
		return lockFailed(err, opts, log)
	}
	// From here on this process owns the instance and may write to its log.
	for _, p := range sigs.problems {
		log.Warn("signal set-up incomplete", "error", p)
	}
	if startedErr != nil {
		log.Warn("could not report the pid to the launcher", "error", startedErr)
	}
	r := &runner{opts: opts, sigs: sigs, log: log, pf: pf, drops: drops,
		records: &records{path: opts.RecordPath, rec: opts.Record, log: log},
		manager: &manager{enabled: opts.NotifyManager}}
	r.restorer, _ = w.(Restorer)
	r.sweeper, _ = w.(Sweeper)
	if opts.HangupStops && !opts.IgnoreHUP {
		r.tty = watchTerminal()
		defer r.tty.close()
	}
	return r.run(ctx, w)
}

// lockFailed reports why the pidfile could not be taken, with the limit or the file
// system that refused it and the fix. If another process holds it,
// nothing is logged: an instance that is already running must see no change.
func lockFailed(err error, opts Options, log hclog.Logger) error {
	var held *pidfile.LockedError
	if errors.As(err, &held) {
		if held.PID >= 1 { // 1: a container's PID 1 daemon, seen from inside
			_ = opts.Reporter.AlreadyRunning(held.PID)
		} else { // the kernel cannot name the holder: a zero pid would read as no answer
			_ = opts.Reporter.Fail(err)
		}
		return err
	}
	err = openfiles.Explain(err, "") // the limit is this process's: --limit-nofile's, or the one it inherited
	// A full, read-only or over-quota file system, said as the start lock's is (a start in
	// the foreground takes none, and a start -d's may have been written before it filled).
	err = storage.Explain(err, filepath.Dir(opts.PIDFile), "--state-dir (or --pidfile)")
	err = pidfile.Advise(opts.PIDFile, err, "--pidfile (or --state-dir)")
	opts.logFailure(log, err)
	_ = opts.Reporter.Fail(err)
	return err
}

// logFailure logs why the start failed, unless the log is the caller's stderr and the
// caller will say it (see Options.Reporter).
func (o Options) logFailure(log hclog.Logger, err error) {
	if o.Reporter != nil || o.LogPath != "" {
		log.Error("could not start", "error", err)
	}
}

// launcherGone is why the start is given up when its start command is gone (see
// Options.StartLock), looked at once the pidfile is held: whoever looks at the start lock
// first and the pidfile second then sees one of them held, or this daemon giving up.
func (r *runner) launcherGone() error {
	if r.opts.StartLock == "" {
		return nil
	}
	st, err := pidfile.Probe(r.opts.StartLock)
	if err != nil || st.State == pidfile.Running {
		return nil // held, or cannot tell: go on
	}
	return errors.New("its start command is gone (killed before this daemon held its pidfile, when a stop could have found neither): nothing was started")
}

// ReadyGrace is how much longer than Options.ReadyTimeout a detached daemon (one with a
// Reporter) waits before it gives up on its start itself, so that its launcher, if it is
// still there, gives up first. In the foreground there is none, and no grace.
const ReadyGrace = 2 * time.Second

// runner is one run that holds its pidfile.
type runner struct {
	opts            Options
	sigs            *signals
	log             hclog.Logger
	pf              *pidfile.File
	drops           <-chan struct{} // the log writer dropped lines: count them in the record
	records         *records
	manager         *manager
	restorer        Restorer // the workload, if it keeps files beside the pidfile
	sweeper         Sweeper  // the workload, if what it starts may outlive it
	startedAt       time.Time
	reload          reloads                 // the reload hook's run, if one runs
	reopens         reopens                 // the log's reopen, if one runs
	chores          chores                  // the loop's steps that touch the disk, if they run
	watch           *pidfile.Watcher        // the pidfile's watch, set as the loop begins (nil: none)
	toldLeft        atomic.Bool             // a reopen said it left a 1 or 2 that the work closed
	overwrites      int                     // times the pidfile's content was written over since the last line (rewritePIDFile)
	overwriteLogged time.Time               // when rewritePIDFile last said so
	crashMu         sync.Mutex              // keepCrashOutput's, one at a time
	crashOut        bool                    // a crash's trace goes to the log besides 2; with crashMu
	tty             *terminalWatch          // the terminal's, with Options.HangupStops (nil: none)
	judge           *hangupJudge            // tells a SIGHUP that is tty's hangup from a reload
	held            []os.Signal             // reopen signals taken while the work started, for the loop
	killGraceOver   func() <-chan time.Time // when KillGrace after a Kill has passed (nil: time.After); a test's seam

	dropsMu          sync.Mutex // held by countDrops, for the two fields below
	dropCountFailing bool       // the last count of dropped lines could not be written, and said so
	dropsCounted     uint64     // the count of dropped lines the record has
}

// run starts the workload, reports ready and runs the loop.
func (r *runner) run(ctx context.Context, w Workload) error {
	startedAt := time.Now().UTC()
	r.startedAt = startedAt
	if err := r.launcherGone(); err != nil {
		return r.fail(err)
	}
	sctx := context.WithValue(hclog.WithContext(ctx, r.log), recordsKey{}, r.records)
	start := &startup{rep: r.opts.Reporter}
	if r.opts.ReadyTimeout > 0 {
		start.deadline = time.Now().Add(r.opts.ReadyTimeout + start.grace()) // monotonic, not startedAt's wall clock
	}
	sctx = context.WithValue(sctx, startupKey{}, start)
	sctx = context.WithValue(sctx, managerKey{}, r.manager)
	sctx, cancel := context.WithCancelCause(sctx)
	defer cancel(nil)
	readyc := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- serve(sctx, w, readyc, r.log) }()

	var deadline <-chan time.Time // the daemon's own bound on the start, if it has one
	if left, ok := start.left(); ok {
		timer := time.NewTimer(left)
		defer timer.Stop()
		deadline = timer.C
	}
	r.judge = newHangupJudge(r.tty, len(r.sigs.reopen), time.Now())
	if r.opts.HangupStops && r.opts.RecordPath != "" {
		pid := os.Getpid()
		r.judge.marked = func(now time.Time) bool { return instance.TakeReloadMark(r.opts.RecordPath, pid, now) }
	}
	defer r.judge.stopTimer()
	var reopen <-chan os.Signal // taken while the work starts only to tell the terminal's hangup
	if r.tty != nil {
		reopen = r.sigs.reopen
	}
	if testHookBeforeStartWait != nil {
		testHookBeforeStartWait(readyc, done)
	}
	var listen string
wait:
	for {
		select {
		case listen = <-readyc:
			break wait
		case err := <-done:
			select {
			case listen = <-readyc:
				done <- err // it said ready, then returned: it started, and the loop sees it end
				break wait
			default:
				if err == nil {
					err = errors.New("Serve returned nil before it called ready: it must call ready once it serves, then run until its context is cancelled")
				}
				return r.fail(handshake.WorkFailed(err)) // the work's own failure (errors.Is handshake.ErrWorkFailed)
			}
		case sig := <-r.sigs.stop:
			return r.stopStarting(w, cancel, done, Stopped{sig})
		case <-ctx.Done():
			return r.stopStarting(w, cancel, done, context.Cause(ctx))
		case sig := <-reopen:
			if why := r.judge.signal(sig, time.Now()); why != "" {
				return r.hungUpStarting(w, cancel, done, why)
			}
			r.held = append(r.held, sig) // the loop reopens and reloads once it has begun
		case <-r.judge.hangup():
			if why := r.judge.hungUp(time.Now()); why != "" {
				return r.hungUpStarting(w, cancel, done, why)
			}
		case <-r.judge.quietAfter():
			r.judge.runsOn(r.log)
		case <-deadline:
			// It may have got ready, or failed, as the timeout passed, both found by a daemon
			// late to look (a loaded machine): select picks either at random, and a workload
			// that is ready would be stopped, or one that failed lose why, as not ready in
			// time.
			if addr, ready := chans.Came(readyc); ready {
				listen = addr
				break wait
			}
			if err, ended := chans.Came(done); ended {
				done <- err // its end, as the case above takes it: its own failure is the outcome
				continue
			}
			switch left, ok := start.left(); {
			case !ok: // extended without end
				deadline = nil
				continue
			case left > 0: // extended meanwhile
				deadline = time.After(left)
				continue
			}
			return r.stopStarting(w, cancel, done, errNotReady)
		}
	}
	dropped, dropCause := logDrops(r.opts.LogWriter)
	if err := r.records.first(r.opts, startedAt, listen, dropped, dropCause); err != nil {
		cancel(err)
		r.wait(done, nil, time.Now())
		return r.fail(err)
	}
	if r.opts.Ready != nil {
		r.opts.Ready()
	}
	r.log.Info("started", "pid", os.Getpid(), "listen", listen, "name", r.opts.Name)
	r.keepCrashOutput()
	dropped, _ = logDrops(r.opts.LogWriter) // "started" among them, on a full disk
	if err := r.opts.Reporter.Ready(listen, dropped); err != nil {
		r.log.Warn("could not report readiness to the launcher", "error", err)
	}
	r.manager.readyNow()
	return r.loop(ctx, w, cancel, done)
}

// errNoWorkload is the failed start of a Run given no workload: a programming error of
// its caller's.
var errNoWorkload = errors.New("server.Run was given no Workload (nil): pass the program's work, such as server.WorkloadFunc(serve)")

// testHookBeforeStartWait, when set by a test, runs in run before it waits for the work to
// be ready, with the channels its readiness and its end come on: a test makes the wait look
// late.
var testHookBeforeStartWait func(readyc <-chan string, done <-chan error)

// serve runs w.Serve, turning a panic into an error (its stack goes to the log), and
// passes the first ready on to readyc. A nil w (or nil WorkloadFunc) fails as a workload
// that failed at once, saying so.
func serve(ctx context.Context, w Workload, readyc chan<- string, log hclog.Logger) error {
	if f, ok := w.(WorkloadFunc); w == nil || ok && f == nil {
		return errNoWorkload
	}
	var once sync.Once
	return Recovered(log, "the workload", func() error {
		return w.Serve(ctx, func(addr string) { once.Do(func() { readyc <- addr }) })
	})
}

// Recovered runs f, which is the workload's own code (what names it in the log), and turns
// a panic of f into an error that names it and where it happened, its stack in the log:
// how Run calls Serve and the reload hook, for a caller that runs them itself (a workload
// child).
func Recovered(log hclog.Logger, what string, f func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			stack := debug.Stack()
			log.Error(what+" panicked", "panic", fmt.Sprint(p), "stack", string(fromPanicSite(stack)))
			err = fmt.Errorf("panic: %v [%s]", p, panicSite(stack))
		}
	}()
	return f()
}

// stopStarting ends a start that a stop overtook, as systemd cancels a start job: the
// workload, not ready yet, is cancelled with cause and drained as a stop drains it, and the
// start fails with cause, so that start says the daemon was stopped, not that it started.
// Its launcher is told first that it is stopping, and how long its drain may take
// (ShutdownTimeout, KillGrace, and ReadyGrace for its own end), so that it waits for the
// drain instead of killing it at the ready deadline; and its record says stopping while it
// drains (records.stoppingStart), so that a second stop waits for the drain too.
func (r *runner) stopStarting(w Workload, cancel context.CancelCauseFunc, done <-chan error, cause error) error {
	began := time.Now()
	marked := make(chan struct{})
	if errors.Is(cause, errNotReady) {
		close(marked)
	} else {
		// Its launcher waits for the drain, rather than kill it at its ready deadline, and
		// a stop from another shell waits with it, as for a ready run (see stop).
		_ = r.opts.Reporter.Stopping(cause.Error(), r.opts.ShutdownTimeout+KillGrace+ReadyGrace)
		go func() {
			defer close(marked)
			r.records.stoppingStart(r.opts, r.startedAt, fmt.Sprintf("%v before it was ready", cause))
		}()
	}
	cancel(cause) // before a log line, which may block (see stop)
	r.boundLog(began)
	r.log.Info("stopping before it was ready", "reason", cause.Error())
	if _, err := r.drain(w, done, began); err != nil && !errors.Is(err, cause) && !errors.Is(err, context.Canceled) {
		r.log.Debug("the workload ended", "error", err)
	}
	// The stopping mark is written before fail writes the record's last word.
	<-marked
	if errors.Is(cause, errNotReady) && r.opts.Reporter == nil { // the foreground's own bound
		return r.fail(fmt.Errorf("%w within its ready timeout (%v, or as the work extended it): killed it; give a slow program a longer --ready-timeout", cause, r.opts.ReadyTimeout))
	}
	if errors.Is(cause, errNotReady) {
		return r.fail(fmt.Errorf("%w within its ready timeout (%v, or as the work extended it) and %v more; its launcher, which gives up first, was gone",
			cause, r.opts.ReadyTimeout, ReadyGrace))
	}
	return r.fail(fmt.Errorf("%w before it was ready", cause))
}

// hungUpStarting stops a start, not ready yet, for the hangup of its terminal, as SIGTERM
// would: the window it was typed at was closed while it started.
func (r *runner) hungUpStarting(w Workload, cancel context.CancelCauseFunc, done <-chan error, why string) error {
	r.log.Info("terminal hung up: stopping", "why", why)
	return r.stopStarting(w, cancel, done, Stopped{sighup})
}

// errNotReady is the cause of a start the daemon gave up on itself (Options.ReadyTimeout).
var errNotReady = errors.New("not ready")

// fail reports why the start failed, with the limit on open files that refused it, if one
// did, and gives the pidfile up.
func (r *runner) fail(err error) error {
	err = openfiles.Explain(err, "") // the limit is this process's: --limit-nofile's, or the one it inherited
	r.opts.logFailure(r.log, err)
	r.records.failed(r.opts, r.startedAt, err)
	_ = r.opts.Reporter.Fail(err)
	return errors.Join(err, r.cleanup())
}

// fromPanicSite is stack (a deferred recover's in Recovered) from the frame that panicked
// to what the function Recovered ran called (that function is daemonkit's, which calls the
// program's Serve or Reload): its goroutine's line, then those frames, without the
// recover's, debug.Stack's and the runtime's panic above them, nor that function, Recovered
// and their callers below, so that the last lines of the log, which a failed start quotes,
// are the program's own. A stack it cannot read is returned whole.
func fromPanicSite(stack []byte) []byte {
	lines := strings.SplitAfter(string(stack), "\n")
	begin := 0
	for i, line := range lines {
		if strings.HasPrefix(line, "panic(") && i > 0 && i+2 < len(lines) {
			begin = i + 2
			break
		}
	}
	if begin == 0 {
		return stack
	}
	end := len(lines)
	recovered := runtime.FuncForPC(reflect.ValueOf(Recovered).Pointer()).Name() + "("
	for i := begin; i < len(lines); i++ {
		if strings.HasPrefix(lines[i], recovered) && i-2 > begin {
			end = i - 2 // the function Recovered ran is the frame above it
			break
		}
	}
	return []byte(lines[0] + strings.Join(lines[begin:end], ""))
}

// panicSite is the function and line that panicked, from a stack taken in the deferred
// recover: the frame after the runtime's panic.
func panicSite(stack []byte) string {
	lines := strings.Split(string(stack), "\n")
	for i, line := range lines {
		if strings.HasPrefix(line, "panic(") && i+3 < len(lines) {
			fn := strings.TrimSpace(lines[i+2])
			if cut := strings.LastIndexByte(fn, '('); cut > 0 {
				fn = fn[:cut]
			}
			at := strings.TrimSpace(lines[i+3])
			if cut := strings.LastIndex(at, " +0x"); cut > 0 {
				at = at[:cut]
			}
			return "in " + fn + " at " + at
		}
	}
	return "no stack"
}

// logFD is the descriptor the daemon's log lines go through: its own (LogDescriptors), or 2.
func (r *runner) logFD() int {
	if r.opts.LogDescriptors != nil {
		return r.opts.LogDescriptors.FD()
	}
	return 2
}
