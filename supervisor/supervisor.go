package supervisor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"golang.org/x/sys/unix"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/internal/chans"
	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/daemonkit/daemonkit/server"
)

// Supervisor runs one program under the daemon runtime: a server.Workload that also
// forwards signals to it (server.Forwarder), reloads it (server.Reloader: SIGHUP, passed on
// as Config.ReloadSignal) and can kill it at once (server.Killer).
type Supervisor struct {
	cfg Config
	out io.Writer // where the program's lines go

	mu   sync.Mutex
	main int // the program's main pid now (its MAINPID, if it said one); 0 between runs
	// named is a handle on main when it is a MAINPID (the serving copy's program.main,
	// which that copy owns), not a copy's first process (the supervisor's child); nil else.
	named *proc.Process
	// exited is main's registration with the reaper while it is a child (not named): the
	// channel its status comes on, which tells it from a child given its pid since.
	exited  <-chan syscall.WaitStatus
	control *controlSocket // the running Serve's, if it has one
	witness *witness       // the running Serve's, in the foreground with a terminal
	reaper  *reaper        // the running Serve's: a child (main, not named) is signalled through it
	// reloaded is the process last sent the reload signal, until its end is read
	// (takeReloaded): a copy that dies of it is told from one killed by another's SIGHUP.
	reloaded int
	// log is the running Serve's logger, for what Forward could not pass on; nil before.
	log hclog.Logger
	// dropped says in the log what Forward could not pass on, without a line each.
	dropped droppedSignals

	ended atomic.Bool // Serve's program and what it left are gone: its last output alone is written (WorkEnded)
}

var (
	_ server.Workload     = (*Supervisor)(nil)
	_ server.Forwarder    = (*Supervisor)(nil)
	_ server.Reloader     = (*Supervisor)(nil)
	_ server.Killer       = (*Supervisor)(nil)
	_ server.Restorer     = (*Supervisor)(nil)
	_ server.LogReopener  = (*Supervisor)(nil)
	_ server.DrainBounder = (*Supervisor)(nil)
)

// New returns a Supervisor of the program cfg describes, whose output lines go to out
// (the daemon's log writer, which writes each line whole or not at all).
func New(cfg Config, out io.Writer) *Supervisor {
	return &Supervisor{cfg: cfg.withDefaults(), out: out, dropped: droppedSignals{now: time.Now}}
}

// ForwardSignals are the signals passed on to the program, besides the stop signals (TERM,
// INT, QUIT) and SIGHUP (a reload): USR2 (gunicorn's and unicorn's re-exec), and, where the
// supervisor has no controlling terminal (a daemon, a container without -t), TTIN and TTOU
// (gunicorn's one worker more or less) and WINCH (nginx's and Apache's graceful stop of
// their workers). With a terminal those three are its job control and its window's
// resizes: caught, TTOU would make a write to it retry for ever, and WINCH would reach the
// program at every resize. USR1 is the supervisor's own (reopen its log); ReopenLogs then
// passes the program's own reopen signal on, if the user named one.
func (s *Supervisor) ForwardSignals() []os.Signal {
	sigs := []os.Signal{syscall.SIGUSR2}
	if noTerminal() {
		sigs = append(sigs, syscall.SIGTTIN, syscall.SIGTTOU, syscall.SIGWINCH)
	}
	return sigs
}

// StopSignals are QUIT besides TERM and INT: the program is asked to stop with QUIT (a
// graceful stop to nginx, a goroutine dump and exit to a Go program), and is not restarted
// after it ends of it. TERM is passed on as Config.StopSignal.
func (s *Supervisor) StopSignals() []os.Signal { return []os.Signal{syscall.SIGQUIT} }

// Forward passes sig on to the program's main process once a copy of it is ready. While
// none is (it ended, and its restart is not ready yet) sig is not passed on, and the log
// says so: it was meant for the copy that ended (nginx's WINCH would leave a fresh copy
// with no workers, its USR2 start a second upgrade), and a copy starting may not catch it
// yet (USR2's default action ends it). Signals that come before the first copy is ready
// wait, as every signal of a start does, and are passed on once it is.
func (s *Supervisor) Forward(sig os.Signal) {
	ss := sig.(syscall.Signal)
	if s.signal(ss) {
		return
	}
	s.mu.Lock()
	log := s.log
	s.mu.Unlock()
	if log != nil {
		s.dropped.drop(log, ss) // the first of each time down in full, then counts
	}
}

// Reload passes Config.ReloadSignal (SIGHUP by default) on to the program, unless the
// program would end of it, or ignores it (ErrNoReload).
func (s *Supervisor) Reload(context.Context) error {
	if pid, named := s.mainPID(), s.namedMain(); named != nil && mainEnded(named) {
		// Its pid may be another process's now, whose handling of the signal says nothing.
		return fmt.Errorf("the program's main process (pid %d, named by MAINPID=) has ended, and the program named none since: not reloaded (restart it instead)", pid)
	} else if pid > 0 {
		if err := Reloadable(pid, s.cfg.ReloadSignal); err != nil {
			return err
		}
	}
	if !s.sendReload() {
		return errors.New("the program is not running")
	}
	return nil
}

// sendReload passes Config.ReloadSignal on to the program's main process, as signal does,
// marked as sent it before it is (takeReloaded): a process that dies of it at once is
// marked already. false if none runs.
func (s *Supervisor) sendReload() bool {
	s.mu.Lock()
	pid, exited, named, rp := s.main, s.exited, s.named, s.reaper
	s.reloaded = pid
	s.mu.Unlock()
	if sendTo(rp, pid, exited, named, s.cfg.ReloadSignal) {
		return true
	}
	s.takeReloaded(pid)
	return false
}

// takeReloaded reports whether pid is the process last sent the reload signal, and, if so,
// forgets it: called once that process has ended, whose pid may be another's next.
func (s *Supervisor) takeReloaded(pid int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if pid <= 0 || s.reloaded != pid {
		return false
	}
	s.reloaded = 0
	return true
}

// endedOfReload reports whether pid, which ended with ws, died of the reload signal this
// supervisor passed on to it (killed by that very signal): it does not handle it. A Go
// program that never asked for it (signal.Notify) does that: Go's runtime catches every
// signal, so Reloadable cannot tell beforehand. It forgets that pid was sent it.
func (s *Supervisor) endedOfReload(pid int, ws syscall.WaitStatus) bool {
	return s.takeReloaded(pid) && ws.Signaled() && ws.Signal() == s.cfg.ReloadSignal
}

// ErrNoReload is wrapped by the error of a reload refused because the program could not
// reload: it leaves its reload signal (SIGHUP, or Config.ReloadSignal) at its default
// action, which would end it, or it ignores it, so that nothing would happen.
var ErrNoReload = errors.New("not reloaded (restart it instead)")

// ErrIgnoresHUP is wrapped by the error of a reload refused because the program ignores
// SIGHUP, its reload signal (with ErrNoReload).
var ErrIgnoresHUP = errors.New("it ignores SIGHUP, so a reload would do nothing")

// Reloadable refuses a reload of the program pid by its reload signal sig (SIGHUP, or
// Config.ReloadSignal) that could not reload it (ErrNoReload): one that leaves sig at its
// default action, or ignores it (for SIGHUP, ErrIgnoresHUP, as every program started under
// nohup(1) or the nohup strategy does, unless it catches SIGHUP itself). Where that cannot
// be read (another system, /proc hidden) the reload may go ahead.
func Reloadable(pid int, sig syscall.Signal) error {
	switch action, err := proc.SignalAction(pid, sig); {
	case errors.Is(err, proc.ErrBlockedUnknown):
		return fmt.Errorf("the program (pid %d): %w: %w", pid, err, ErrNoReload)
	case err != nil || action == proc.Caught:
		return nil
	case action == proc.Ignored && sig == syscall.SIGHUP:
		return fmt.Errorf("the program (pid %d): %w: %w", pid, ErrIgnoresHUP, ErrNoReload)
	case action == proc.Ignored:
		return fmt.Errorf("the program (pid %d): it ignores %s, so a reload would do nothing: %w", pid, sigName(sig), ErrNoReload)
	}
	return fmt.Errorf("the program (pid %d): it does not handle %s, whose default action would end it: %w", pid, sigName(sig), ErrNoReload)
}

// ReopenLogs passes Config.ReopenSignal, if set, on to the program, once the supervisor
// has reopened its own log: one `reopen` after logrotate moved the files serves both. It
// is the program's own signal to reopen its log files (nginx's USR1), given by the user:
// what USR1 means varies (Node opens its debugger), so none is passed on by default. A
// program that does not catch it, whose default action would end it, is not sent it.
func (s *Supervisor) ReopenLogs(ctx context.Context) {
	sig := s.cfg.ReopenSignal
	pid := s.mainPID()
	if sig == 0 || pid <= 0 {
		return
	}
	log := hclog.FromContext(ctx).Named("supervisor")
	switch action, err := proc.SignalAction(pid, sig); {
	case err != nil:
		log.Warn("the reopen signal not passed on: how the program handles it cannot be read", "signal", sigName(sig), "pid", pid, "error", err)
		return
	case action == proc.Ignored:
		log.Warn("the reopen signal not passed on: the program ignores it", "signal", sigName(sig), "pid", pid)
		return
	case action != proc.Caught:
		log.Warn("the reopen signal not passed on: the program does not catch it, and its default action would end it", "signal", sigName(sig), "pid", pid)
		return
	}
	if s.signal(sig) {
		log.Info("passed the reopen signal on to the program", "signal", sigName(sig), "pid", pid)
	}
}

// Restore makes the control socket again if it was deleted with the state directory: the
// runtime calls it once it has put its pidfile back.
func (s *Supervisor) Restore() {
	s.mu.Lock()
	control := s.control
	s.mu.Unlock()
	if control != nil {
		control.restore()
	}
}

func (s *Supervisor) setControl(c *controlSocket) {
	s.mu.Lock()
	s.control = c
	s.mu.Unlock()
}

// killBound bounds how long killInstance goes on: a process in uninterruptible sleep (a
// dead NFS server) dies only when its I/O ends.
const killBound = 10 * time.Second

// WorkEnded reports whether the program and everything left of the instance are gone,
// Serve writing the program's last output alone before it returns: a stop's runtime then
// knows that nothing was cut off, however long a slow log reader takes.
func (s *Supervisor) WorkEnded() bool { return s.ended.Load() }

// Kill ends the program and everything left of the instance at once (SIGKILL), and
// returns once it is gone: at most killBound (10s) later, for a process stuck in the
// kernel (a dead NFS server) dies only when its I/O ends.
func (s *Supervisor) Kill() { s.killInstance() }

// signal sends sig to the program's main process; false if none runs. A main process the
// program named (MAINPID=) is signalled through the handle opened when it was named: once
// it is gone, nothing is, though its pid may be another's.
func (s *Supervisor) signal(sig syscall.Signal) bool {
	s.mu.Lock()
	pid, exited, named, rp := s.main, s.exited, s.named, s.reaper
	s.mu.Unlock()
	return sendTo(rp, pid, exited, named, sig)
}

// sendTo sends sig to pid, the program's main process, through named, the handle on it
// if the program named it (MAINPID=), as signal says; false if it is not sent (pid 0: none
// runs; the named process is gone). A child is signalled through rp, the reaper that reaps
// it, by its registration exited: main names it until the loop reads its end, after the
// reaper reaped it, and its pid may be a stranger's by then, or a child's the reaper
// started since.
func sendTo(rp *reaper, pid int, exited <-chan syscall.WaitStatus, named *proc.Process, sig syscall.Signal) bool {
	switch {
	case pid <= 0:
		return false
	case named != nil:
		return signalNamed(named, sig)
	case rp != nil:
		return rp.kill(pid, exited, sig) // a child: its pid is its own until it is reaped
	}
	return killPID(pid, sig) == nil
}

// currentWitness is the running Serve's witness, nil if none.
func (s *Supervisor) currentWitness() *witness {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.witness
}

// noMain says no copy serves: nothing is the program's main process.
func (s *Supervisor) noMain() {
	s.mu.Lock()
	s.main, s.exited, s.named = 0, nil, nil // the copy that named it owns its handle
	s.mu.Unlock()
}

// Serve starts the program, says ready once it is, and supervises it until ctx is
// cancelled (then the stop signal is passed on and it may exit for ShutdownTimeout before
// SIGKILL) or it ends and is not to be restarted. It returns nil when a stop ended a
// program that exited 0, else an *ExitError with its status; before ready, an error that
// says how it failed. Whatever it returns, nothing of the instance is left running but
// this process, and no zombie of it is left.
func (s *Supervisor) Serve(ctx context.Context, ready server.ReadyFunc) error {
	log := hclog.FromContext(ctx).Named("supervisor")
	s.mu.Lock()
	s.log = log
	s.mu.Unlock()
	defer s.dropped.ended(log)
	leave, err := proc.EnterSubreaper()
	if err != nil {
		log.Warn("not a subreaper: orphans of the program go to init", "error", err)
	}
	defer leave()
	rp := newReaper(func(pid int, ws syscall.WaitStatus) {
		log.Debug("reaped an orphan", "pid", pid, "status", describe(ws))
	})
	defer rp.close()
	s.mu.Lock()
	s.reaper = rp
	s.mu.Unlock()
	if !s.cfg.OwnGroup && controllingTerminal() {
		// In a terminal's job: Ctrl-C reaches the program from the terminal itself.
		w, err := startWitness()
		if err != nil {
			log.Debug("no witness of signals sent to the process group: INT and QUIT are passed on as they come", "error", err)
		}
		s.mu.Lock()
		s.witness = w
		s.mu.Unlock()
		defer func() {
			s.mu.Lock()
			s.witness = nil
			s.mu.Unlock()
			w.stop()
		}()
	}
	s.ended.Store(false)
	relaying := &relays{gaveUp: gaveUpOf(s.out)} // the relays of every copy's output
	defer func() {
		s.ended.Store(true)                               // killInstance has run: nothing of the instance is left
		awaitOutput(allDone(&relaying.running), relaying) // the program's last lines, before this process may exit
	}()
	// Nothing of the instance outlives the supervisor.
	defer func() {
		sayOutlived(log, hclog.Error, "processes of the instance outlived SIGKILL", s.killInstance())
	}()
	sockets, err := bind(s.cfg.Sockets, s.cfg.Credential)
	if err != nil {
		return err
	}
	defer unbind(sockets)
	r := &run{s: s, ctx: ctx, log: log, reaper: rp, sockets: sockets, command: s.cfg.Command, relaying: relaying,
		copies: map[int]*program{}, upgrades: make(chan upgradeRequest), drained: make(chan *program, 8)}
	if len(sockets) > 0 {
		var addrs []string
		for _, b := range sockets {
			addr := b.Network + ":" + b.addr
			if b.Name != b.Network { // a name given (--socket api=tcp:...): say it, as it was given
				addr = b.Name + "=" + addr
			}
			addrs = append(addrs, addr)
		}
		server.UpdateRecord(ctx, func(rec *instance.Record) { rec.Sockets = addrs })
	}
	if s.cfg.ControlPath != "" {
		control, err := r.serveControl()
		if err != nil {
			return err
		}
		s.setControl(control)
		defer func() {
			s.setControl(nil)
			control.close()
		}()
		server.UpdateRecord(ctx, func(rec *instance.Record) { rec.Control = s.cfg.ControlPath })
	}
	defer r.removeChildPIDFile(true)
	return r.supervise(ready)
}

// run is one Serve.
type run struct {
	s          *Supervisor
	ctx        context.Context
	log        hclog.Logger
	reaper     *reaper
	relaying   *relays // the relays of every copy's output
	sockets    []bound
	restarts   int
	gen        int
	command    []string   // the command line new copies run: the configured one, or an upgrade's
	childPID   int        // the pid last written to ChildPIDFile, 0 if none: childPIDFileOp's
	childPIDMu sync.Mutex // one write or removal of ChildPIDFile at a time
	copies     map[int]*program
	upgrades   chan upgradeRequest // from the control socket
	drained    chan *program       // old copies that are gone
	draining   sync.WaitGroup      // old copies still draining
	over       atomic.Bool         // supervise has returned: no copy will serve again
	endingCopy atomic.Bool         // endForMain stops the rest of a copy whose main process ended
	rejects    *rejectLog          // what acceptFrom says of dropped notifications
}

// supervise is the life of the program: a first start that must get ready, then restarts
// by policy, and upgrades.
func (r *run) supervise(ready server.ReadyFunc) error {
	defer r.over.Store(true)
	defer func() {
		for _, c := range r.copies { // old copies still draining as it ends are not forgotten
			r.s.dropMain(c)
		}
	}()
	cfg := r.s.cfg
	p, err := r.startReady()
	if err != nil {
		return err
	}
	if p.addr == "" && len(r.sockets) > 0 {
		p.addr = r.sockets[0].addr
	}
	ready(p.addr)
	failures := 0 // restarts in a row that did not stay up MinUptime
	delay := cfg.RestartDelay
	for {
		var ws syscall.WaitStatus
		var stopped bool
		p, ws, stopped = r.wait(p)
		if stopped {
			return exitResult(ws)
		}
		ofReload := r.s.endedOfReload(p.pid, ws)
		lastExit := describeEnd(ws, ofReload)
		if ofReload {
			r.log.Error("the reload signal passed on to the program ended it: it does not handle it, so it was not reloaded; have it catch the signal (a Go program: signal.Notify), or restart it instead",
				"signal", sigName(r.s.cfg.ReloadSignal), "pid", p.pid)
		}
		if p.failure != "" {
			lastExit = p.failure
		}
		plan := planAfterEnd(cfg, ws, time.Since(p.started), failures, delay)
		failures, delay = plan.failures, plan.delay
		r.removeChildPIDFile(false) // it would name a pid that is gone, maybe another process's soon
		server.UpdateRecord(r.ctx, endedRecord(lastExit, r.restarts, plan, time.Now()))
		if !plan.restart {
			r.log.Info("the program ended; not restarting it", "status", lastExit, "restart", string(policyOrNo(cfg.Restart)))
			r.awaitDraining(0)
			return &ExitError{Status: ws, OfReload: ofReload, Failure: p.failure}
		}
		if plan.gaveUp {
			r.log.Error("giving up: the program kept ending", "restarts_in_a_row", failures,
				"none_stayed_up", cfg.MinUptime.String(), "status", lastExit)
			restarts := "restarts in a row"
			if failures == 1 {
				restarts = "restart"
			}
			gaveUp := fmt.Sprintf("%s; gave up after %d %s (none stayed up %s)", lastExit, failures, restarts, cfg.MinUptime)
			server.UpdateRecord(r.ctx, func(rec *instance.Record) { rec.LastExit = gaveUp })
			r.awaitDraining(0)
			return &ExitError{Status: ws, GaveUp: true, Failure: p.failure, OfReload: ofReload}
		}
		if r.ctx.Err() != nil {
			// A stop came while the copy ended (the rest of a copy whose named main process
			// ended takes up to --shutdown-timeout to stop): no restart begins mid-stop.
			r.awaitDraining(cfg.ShutdownTimeout)
			return r.stoppedDown("as its copy ended", lastExit)
		}
		failures++
		// What the program left (a worker, a grandchild in a session of its own, come here
		// as orphans) would run beside the next copy, or hold its port: as systemd does
		// with a unit's cgroup, nothing of a copy that is gone is kept across a restart.
		// Old copies still draining after an upgrade, and what they started, are left to
		// finish.
		if len(r.copies) == 0 {
			sayOutlived(r.log, hclog.Warn, "processes of the copy that ended outlived SIGKILL; restarting beside them", r.s.killInstance())
		} else {
			r.killDeadCopies()
		}
		r.log.Warn("the program ended; restarting it", "status", lastExit, "in", delay.String(), "attempt", failures)
		restartAt := time.Now().Add(delay) // what the kill took is not part of the back-off
		server.UpdateRecord(r.ctx, func(rec *instance.Record) { rec.RestartAt = restartAt })
		if stopped := r.backOff(delay); stopped {
			r.awaitDraining(cfg.ShutdownTimeout)
			return r.stoppedDown("between restarts", lastExit)
		}
		delay = min(2*delay, maxRestartDelay)
		r.restarts++ // in the record once its copy is ready (startReady), or has failed
		if p, err = r.startReady(); err != nil {
			if r.ctx.Err() != nil {
				r.awaitDraining(cfg.ShutdownTimeout)
				return r.stoppedRestart(err, lastExit)
			}
			r.log.Error("the restarted program did not get ready", "error", err)
			p = failedRestart(err)
		}
	}
}

// stoppedRestart is what Serve returns when a stop came while a restart's copy started
// (err from startReady): as a stop of the first copy before it was ready (a start called
// off), the stop's own status, 128+N after its signal N, whatever the copy exited with,
// and a last exit that says so ("stopped by SIGTERM before restart 2 was ready: exited
// with status 0"); or, if no copy ran to be stopped (it had not started yet), as a stop
// between restarts (lastExit: how the copy before it ended).
func (r *run) stoppedRestart(err error, lastExit string) error {
	var early *stoppedEarly
	if !errors.As(err, &early) {
		return r.stoppedDown("between restarts", lastExit)
	}
	received, _ := stopSignal(context.Cause(r.ctx), r.s.cfg.StopSignal)
	server.UpdateRecord(r.ctx, func(rec *instance.Record) {
		rec.LastExit = fmt.Sprintf("stopped by %s before restart %d was ready: %s", sigName(received), r.restarts, describe(early.ws))
		rec.Restarts, rec.RestartAt = r.restarts, time.Time{}
		rec.SetChild(0)
	})
	return &ExitError{StoppedBy: received, Starting: true}
}

// stoppedDown is what Serve returns when a stop came while no copy ran (when: "between
// restarts", in the back-off before one, or "as its copy ended", before one was planned):
// the stop's own status, 128+N after its signal N, as a stop of a copy killed by it gives,
// not the status of the copy that ended before (lastExit), which the record keeps beside
// "stopped WHEN".
func (r *run) stoppedDown(when, lastExit string) error {
	received, _ := stopSignal(context.Cause(r.ctx), r.s.cfg.StopSignal)
	server.UpdateRecord(r.ctx, func(rec *instance.Record) {
		rec.LastExit, rec.Restarts, rec.RestartAt = "stopped "+when+" (its last run "+lastExit+")", r.restarts, time.Time{}
		rec.SetChild(0)
	})
	return &ExitError{StoppedBy: received, StoppedWhen: when}
}

// endPlan is what follows a copy of the program that ended on its own: a restart or not,
// and if one, whether the supervisor gives up instead (MaxRestarts), with the count of
// failed runs in a row and the back-off that go with it.
type endPlan struct {
	restart, gaveUp bool
	failures        int
	delay           time.Duration
}

// planAfterEnd decides what follows a copy that ended with ws after uptime, failures
// (restarts in a row that did not stay up MinUptime) and delay (the next back-off) being
// what they were: a copy that stayed up MinUptime resets both.
func planAfterEnd(cfg Config, ws syscall.WaitStatus, uptime time.Duration, failures int, delay time.Duration) endPlan {
	plan := endPlan{restart: cfg.Restart == RestartAlways || (cfg.Restart == RestartOnFailure && failed(ws)), failures: failures, delay: delay}
	if !plan.restart {
		return plan
	}
	if uptime >= cfg.MinUptime {
		plan.failures, plan.delay = 0, cfg.RestartDelay
	}
	plan.gaveUp = cfg.MaxRestarts >= 0 && plan.failures >= cfg.MaxRestarts
	return plan
}

// endedRecord is the record's change when a copy ended on its own (at now): how it ended,
// the restart count (while the copy that ended started, status said which restart it was
// from the count before it), no copy running, and, if one follows, when the next copy
// starts, in the same write: status never reads the program between two copies as running
// with none. (The supervisor writes when again once it has killed what the copy left.)
func endedRecord(lastExit string, restarts int, plan endPlan, now time.Time) func(*instance.Record) {
	return func(rec *instance.Record) {
		rec.LastExit, rec.Restarts = lastExit, restarts
		rec.SetChild(0)
		rec.RestartAt = time.Time{} // a restarted copy that failed before it was ready left its own
		if plan.restart && !plan.gaveUp {
			rec.RestartAt = now.Add(plan.delay)
		}
	}
}

// awaitDraining lets the old copies still draining after an upgrade finish their work in
// flight before the instance ends: ending kills what is left, and "requests the old copy
// is serving finish in the old copy". Each drain has its own bound; within, if not 0,
// bounds them all, for a stop that came while no copy served (between restarts), which
// gives them what a stop gives.
func (r *run) awaitDraining(within time.Duration) {
	var timeout <-chan time.Time
	if within > 0 {
		t := time.NewTimer(within)
		defer t.Stop()
		timeout = t.C
	}
	drained := allDone(&r.draining)
	if testHookBeforeStopSelect != nil {
		testHookBeforeStopSelect(nil, drained)
	}
	select {
	case <-drained:
	case <-timeout:
		// They may have drained as the bound passed, both found late (a loaded machine):
		// select picks either at random, and they drained in time.
		if !closed(drained) {
			r.log.Warn("old copies did not drain in time; killing the instance", "after", within.String())
		}
	}
}

// backOff waits delay before a restart, refusing the upgrades that come meanwhile at once
// (no copy runs to hand over from; one left waiting would be applied later, after its
// client gave up). It reports whether a stop came first.
func (r *run) backOff(delay time.Duration) (stopped bool) {
	t := time.NewTimer(delay)
	defer t.Stop()
	for {
		select {
		case <-r.ctx.Done():
			return true
		case <-t.C:
			// The stop may have begun as the delay passed, both found by the loop late
			// (a loaded machine): select picks either at random, and a restart would start
			// a new copy in the middle of the stop.
			return r.ctx.Err() != nil
		case req := <-r.upgrades:
			req.reply <- UpgradeResult{Error: errNoCopy.Error()}
		}
	}
}

// policyOrNo is the policy, "no" for the zero value.
func policyOrNo(p Policy) Policy {
	if p == "" {
		return RestartNo
	}
	return p
}

// exitResult is what Serve returns after a stop ended the program.
func exitResult(ws syscall.WaitStatus) error {
	if ws.Exited() && ws.ExitStatus() == 0 {
		return nil
	}
	return &ExitError{Status: ws}
}

// wait waits for the main copy p to end on its own (stopped false): its first process
// ends, or the main process it named (MAINPID=) does, which ends the rest of it
// (endForMain). Meanwhile it serves upgrades (an upgrade makes a new copy the main one)
// and follows a daemon that moved to a new process (followMove). Or it waits for a stop:
// then it passes the stop signal on to every copy, waits up to ShutdownTimeout and kills
// what is left (stopped true). It returns the main copy and its wait status.
func (r *run) wait(p *program) (*program, syscall.WaitStatus, bool) {
	for {
		select {
		case ws := <-p.exited:
			if moved := p.pid; r.followMove(p, ws) {
				// A daemon that moved to a new process (--ready pidfile:) runs on; the one
				// it left has ended, and its pid may be another's next.
				r.s.takeReloaded(moved)
				continue
			}
			r.forget(p)
			r.s.noMain()
			return p, ws, false
		case end := <-p.mainGone:
			if r.ctx.Err() != nil {
				// The stop came too, both found by the loop: select picks either at random,
				// and the stop ends the copy as a stop does, with no restart after it.
				return p, r.stopAll(p), true
			}
			if !r.s.stillNames(p, end.h) {
				continue // it named another since: the one it left may end
			}
			if ws, ended := chans.Came(p.exited); ended {
				// Its first process has ended too, both found by the loop: that end is the
				// copy's, counted once, in the case above.
				p.exited = closedStatus(ws)
				continue
			}
			ws := r.endForMain(p, end)
			r.forget(p)
			r.s.noMain()
			return p, ws, false
		case req := <-r.upgrades:
			if r.ctx.Err() != nil {
				// Asked as the stop began, both found by the loop: select picks either at
				// random, and taking it would start a new copy in the middle of the stop.
				req.reply <- UpgradeResult{Error: "the instance is stopping", Stopping: true}
				return p, r.stopAll(p), true
			}
			if np := r.doUpgrade(p, req); np != nil {
				p = np
			}
		case old := <-r.drained:
			r.s.takeReloaded(old.pid) // sent a reload while it served: its pid may be another's next
			r.forget(old)
			r.killDeadCopies() // what the old copy left: nothing uses it now
		case <-r.ctx.Done():
			return p, r.stopAll(p), true
		}
	}
}

// testHookBeforeStopSelect, when set by a test, runs in stopAll, stopEarly and
// awaitDraining before they wait against their bound, with the channel the program's end
// comes on (nil in awaitDraining) and the one closed once old copies have drained (nil in
// stopEarly).
var testHookBeforeStopSelect func(exited <-chan syscall.WaitStatus, drained <-chan struct{})

// stopAll passes the stop signal on to every copy, waits for them up to ShutdownTimeout,
// kills what is left, and returns the main copy's status.
func (r *run) stopAll(p *program) syscall.WaitStatus {
	received, sig := stopSignal(context.Cause(r.ctx), r.s.cfg.StopSignal)
	main := r.s.mainPID()
	had := r.s.currentWitness().heard(received)
	kill := func(c *program) {
		if !had(c.pid) {
			_ = r.reaper.kill(c.pid, c.exited, sig) // not once reaped: its pid may be another's
		}
	}
	waitCtx, stopWaiting := context.WithCancel(context.Background()) // ends the waits below with the stop
	defer stopWaiting()
	// The main process it named (MAINPID=), if not its first, through the handle opened
	// when it was named: signalled and waited for too, and never a process given its pid
	// since. It stays p's (forget closes it); no MAINPID= is taken once the stop has begun.
	var named *proc.Process
	if main > 0 && main != p.pid {
		named = r.s.namedMain()
	}
	switch {
	case main > 0 && main != p.pid:
		if named != nil { // gone already: Signal reaches nothing, and Wait returns at once
			if !had(main) {
				_ = signalNamed(named, sig)
			}
			_ = signalNamed(named, syscall.SIGCONT)
		}
		if p.pid > 0 {
			// Its first process is the one whose end is waited for: it is asked to stop too,
			// once the named one has ended (at once if that is gone already), as systemd's
			// KillMode=mixed orders it. Asked at once, a wrapper that passes its stop signal
			// on would give the server a second one mid-drain, which tells many a server
			// (Go's NotifyContext, uvicorn) to give its drain up. Past the deadline, both are
			// killed with the instance.
			if named == nil {
				kill(p)
			} else {
				asked := make(chan struct{})
				first := &program{pid: p.pid, exited: p.exited} // what kill reads, fixed now
				go func() {
					defer close(asked)
					if named.Wait(waitCtx) == nil {
						kill(first) // not once reaped: its pid may be another's
					}
				}()
				defer func() { stopWaiting(); <-asked }() // nothing of the stop outlives it
			}
		}
	case main > 0 && !had(main):
		r.s.signal(sig)
	}
	for _, c := range r.copies {
		// An old copy draining after an upgrade has had its stop signal: a second one
		// would tell many a server (Go's NotifyContext, uvicorn) to give its drain up.
		if c != p && c.pid > 0 && c.state != "draining" {
			kill(c)
		}
	}
	if p.pid > 0 {
		_ = r.reaper.kill(p.pid, p.exited, syscall.SIGCONT) // a stopped program must run to handle it
	}
	// Said once sent: a log line may block (a reader that stopped reading, a frozen disk),
	// and must not hold the program's stop signal up.
	r.log.Info("stopping the program", "signal", sigName(sig), "pid", main)
	if main > 0 && had(main) {
		r.log.Info("it was sent to the whole process group, the program too (a terminal's Ctrl-C): not sending it again", "signal", sigName(sig))
	}
	// One deadline for every copy: the serving one, and old ones still draining from an
	// upgrade, which finish their work in flight too.
	deadline := time.NewTimer(r.s.cfg.ShutdownTimeout)
	defer deadline.Stop()
	drained := make(chan struct{}) // old copies drained, and the named main process gone
	go func() {
		r.draining.Wait()
		if named != nil {
			_ = named.Wait(waitCtx)
		}
		close(drained)
	}()
	if testHookBeforeStopSelect != nil {
		testHookBeforeStopSelect(p.exited, drained)
	}
	// What ended as the deadline passed, both found by a supervisor late to look (a loaded
	// machine), ended in time: select picks either at random, and the deadline's pick would
	// say it did not, and kill the instance, for a program that had stopped.
	var ws syscall.WaitStatus
	var ended, late bool
	select {
	case ws = <-p.exited:
		ended = true
	case <-deadline.C:
		late = true
		ws, ended = chans.Came(p.exited)
	}
	drainedInTime := func() bool {
		if !late {
			select {
			case <-drained:
				return true
			case <-deadline.C:
			}
		}
		return closed(drained)
	}
	switch {
	case !ended:
		r.log.Warn("the program did not stop in time; killing the instance", "after", r.s.cfg.ShutdownTimeout.String())
		r.s.killInstance()
		ws = <-p.exited
	case !drainedInTime():
		what := "old copies did not drain in time"
		if named != nil {
			what = "the program's main process or old copies did not end in time"
		}
		r.log.Warn(what+"; killing the instance", "after", r.s.cfg.ShutdownTimeout.String())
		r.s.killInstance()
	}
	r.forget(p)
	r.s.noMain()
	r.s.takeReloaded(p.pid)
	r.log.Info("the program stopped", "status", describe(ws))
	// Stopped as asked: its status alone (killed by SIGTERM) would read as a crash.
	server.UpdateRecord(r.ctx, func(rec *instance.Record) { rec.LastExit = "stopped: " + describe(ws); rec.SetChild(0) })
	return ws
}

// stopSignal is the signal that stopped the supervisor, as cause (a server.Stopped) says,
// SIGTERM if it says none, and what the program is sent for it: that signal as it came,
// but the program's own stop signal (Config.StopSignal) for SIGTERM, and for SIGHUP: the
// hangup of the terminal a foreground start was typed at (server.Options.HangupStops),
// which the program in the terminal's job had already, and which a program that catches
// it takes for a reload.
func stopSignal(cause error, own syscall.Signal) (received, sent syscall.Signal) {
	received = syscall.SIGTERM
	var st server.Stopped
	if errors.As(cause, &st) {
		if s, ok := st.Signal.(syscall.Signal); ok {
			received = s
		}
	}
	if received == syscall.SIGTERM || received == syscall.SIGHUP {
		return received, own
	}
	return received, received
}

// forget drops a copy that has ended, and its notify socket.
func (r *run) forget(p *program) {
	if p.sock != nil {
		p.sock.Close()
	}
	r.s.dropMain(p)
	delete(r.copies, p.pid)
	r.publishCopies()
}

// stopEarly stops a copy that a stop signal overtook before it was ready as stopAll stops
// a ready one: it is sent its stop signal (once: not again if the terminal's Ctrl-C reached
// it already) and may end within ShutdownTimeout, so that a program slow to get ready (a
// database replaying its journal, a migration) is not SIGKILLed in the middle of its work
// by docker stop or a stop. It returns once the copy has ended or the time is up; what is
// left is for killCopy. A start called off for another cause (its ready timeout, the
// launcher gone) is not a stop: killCopy kills that copy at once.
func (r *run) stopEarly(p *program) {
	if !errors.As(context.Cause(r.ctx), new(server.Stopped)) {
		return
	}
	received, sig := stopSignal(context.Cause(r.ctx), r.s.cfg.StopSignal)
	had := r.s.currentWitness().heard(received)
	began := time.Now()
	waitCtx, stopWaiting := context.WithCancel(context.Background())
	defer stopWaiting()
	// The main process it named (MAINPID=) before it was ready (a wrapper's server, in the
	// middle of its start) is asked to stop first, and waited for within the same bound, as
	// stopAll does: not SIGKILLed by killCopy once the first process ended. The first
	// process is asked once it has ended (stopAll says why).
	named := r.s.freezeMain(p)
	namedGone := func() bool { // it ended within the bound; true if there is none
		if named == nil {
			return true
		}
		ctx, cancel := context.WithDeadline(waitCtx, began.Add(r.s.cfg.ShutdownTimeout))
		defer cancel()
		return named.Wait(ctx) == nil
	}
	if named != nil {
		if !had(named.PID()) {
			_ = signalNamed(named, sig)
		}
		_ = signalNamed(named, syscall.SIGCONT)
	}
	select {
	case ws := <-p.exited: // reaped: its pid may be another's now
		p.exited = closedStatus(ws)
		_ = namedGone() // past the bound, killCopy kills it with the group
		return
	default:
	}
	heard := had(p.pid)
	switch {
	case heard:
	case named == nil:
		_ = r.reaper.kill(p.pid, p.exited, sig)
	default:
		asked := make(chan struct{})
		pid, exited := p.pid, p.exited // p.exited is rewritten below, before the join
		go func() {
			defer close(asked)
			if namedGone() {
				_ = r.reaper.kill(pid, exited, sig) // not once reaped: its pid may be another's
			}
		}()
		defer func() { stopWaiting(); <-asked }() // nothing of the stop outlives it
	}
	_ = r.reaper.kill(p.pid, p.exited, syscall.SIGCONT) // a stopped program must run to handle it
	if named != nil {
		r.log.Info("stopping the program before it was ready: its main process first, then its first process", "signal", sigName(sig), "pid", named.PID(), "first", p.pid) // once sent, as stopAll says
	} else {
		r.log.Info("stopping the program before it was ready", "signal", sigName(sig), "pid", p.pid) // once sent, as stopAll says
	}
	if heard {
		r.log.Info("it was sent to the whole process group, the program too (a terminal's Ctrl-C): not sending it again", "signal", sigName(sig))
	}
	if testHookBeforeStopSelect != nil {
		testHookBeforeStopSelect(p.exited, nil)
	}
	ws, ended := chans.By(p.exited, began.Add(r.s.cfg.ShutdownTimeout)) // one that stopped as the time passed stopped in time
	if !ended || !namedGone() {
		what := "the program did not stop in time; killing the instance"
		if ended {
			what = "the program's main process did not end in time; killing the instance"
		}
		r.log.Warn(what, "after", r.s.cfg.ShutdownTimeout.String())
		if ended {
			p.exited = closedStatus(ws)
		}
		return
	}
	p.exited = closedStatus(ws)
	r.log.Info("the program stopped", "status", describe(ws))
}

// killCopy kills a copy that failed to get ready, and what it started: its process group
// when it leads one (with sockets), and what carries its generation wherever it moved,
// else the instance's (there is no other copy then). It returns the copy's wait status.
func (r *run) killCopy(p *program) syscall.WaitStatus {
	if len(r.sockets) > 0 {
		// It may have accepted connections on the shared sockets while it started: its stop
		// signal, and a little time, let it finish them, as a stop would. One that ended
		// already (reaped: its pid may be another's now) gets no signal of its own. The
		// main process it named (MAINPID=), which may be the one that accepted, gets it
		// first, and the first process once that has ended, as a drain orders them.
		grace := min(r.s.cfg.ShutdownTimeout, failedCopyGrace)
		began := time.Now()
		namedEnded := r.askNamedFirst(p, began.Add(grace)) // past the grace, it is killed with the group
		_, _ = r.askFirst(p, namedEnded, began.Add(grace))
		r.killGroup(p) // its own group, and what is left of it
	} else {
		r.s.signal(syscall.SIGKILL)
		select {
		case ws := <-p.exited: // reaped (it ended, or stopEarly saw it end): its pid may be another's now
			p.exited = closedStatus(ws)
		default: // not reaped: the pid is still its own
			_ = r.reaper.kill(p.pid, p.exited, syscall.SIGKILL)
		}
		sayOutlived(r.log, hclog.Warn, "processes of the copy that failed to get ready outlived SIGKILL", r.s.killInstance())
	}
	ws := <-p.exited
	r.forget(p)
	if len(r.sockets) > 0 {
		// What it started in a session of its own may still hold the shared sockets, and
		// accept on them: the failed version would serve beside the old copy.
		r.killDeadCopies()
	}
	awaitOutput(p.output, p.relays) // the last lines are in the log before the failure is reported
	return ws
}

// failedCopyGrace bounds how long a copy that failed to get ready (with sockets) has to
// finish what it accepted after its stop signal, before SIGKILL.
const failedCopyGrace = 2 * time.Second

// outputDrainBound bounds a wait for a program's output to end once no relay writes any
// more, every process that held it being gone: only one that left the instance can hold it
// longer.
const outputDrainBound = 500 * time.Millisecond

// outputDrainCap bounds the wait for a program's output once its processes are gone,
// where the wait could otherwise last for ever: a process that left the instance holds its
// pipe and writes to it without end (the relays have handed on more than the program can
// have left behind it, outputLeftMax), or a write blocks on a reader that never reads
// again where no Writer bounds it (a library's own output, without GaveUp), or the Writer
// gave up (a stop's bound passed: what the relays hand it now is dropped and counted).
// Otherwise a reader that is slow but reads gets the program's last lines however long
// that takes, and a stop bounds the wait (logfile.Writer.Bound).
const outputDrainCap = 3 * time.Second

// closed reports whether ch is closed.
func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// outputLeftMax is more than a program can leave unread behind it when it ends: its pipes'
// buffers (1 MiB each at most by default, /proc/sys/fs/pipe-max-size) and what each relay
// reads ahead.
const outputLeftMax = 4 << 20

// awaitOutput waits until done is closed: for as long as the relays rl write, however long
// a write takes (a reader that reads slowly or paused, a disk that froze a while; at a stop
// the log's Writer bounds it, and counts what it gives up, see logfile.Writer.Bound), then
// up to outputDrainBound after their last write, for a pipe held by a process that left the
// instance, which sends no EOF; and no longer than outputDrainCap where the wait could
// otherwise last for ever (see there).
func awaitOutput(done <-chan struct{}, rl *relays) {
	t := time.NewTimer(outputDrainBound)
	defer t.Stop()
	began, handed := time.Now(), rl.handedNow()
	for {
		select {
		case <-done:
			return
		case <-t.C:
		}
		idle := rl.idle()
		if idle >= outputDrainBound {
			return
		}
		if time.Since(began) >= outputDrainCap && (rl.gaveUp == nil || closed(rl.gaveUp) || rl.handedNow()-handed > outputLeftMax) {
			return
		}
		t.Reset(min(outputDrainBound-idle, max(outputDrainCap-time.Since(began), time.Millisecond)))
	}
}

// allDone is closed once wg's count is zero.
func allDone(wg *sync.WaitGroup) <-chan struct{} {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	return done
}

// publishCopies writes the copies into the record, for status and list. A copy whose
// drain took it off the record (offRecord) stays off, even if the drain did so after this
// list was taken: that is read when the change is applied, in the order of the changes.
func (r *run) publishCopies() {
	type listed struct {
		copy instance.Copy
		p    *program
	}
	all := make([]listed, 0, len(r.copies))
	for _, c := range r.copies {
		all = append(all, listed{instance.Copy{PID: c.pid, Generation: c.gen, State: c.state}, c})
	}
	slices.SortFunc(all, func(a, b listed) int { return a.copy.Generation - b.copy.Generation })
	server.UpdateRecord(r.ctx, func(rec *instance.Record) {
		copies := make([]instance.Copy, 0, len(all))
		for _, l := range all {
			if !l.p.offRecord.Load() {
				copies = append(copies, l.copy)
			}
		}
		rec.Copies = copies
	})
}

// takeOffRecord takes old, a copy that has ended, off the record's copies, from the
// goroutine that saw it end: once it returns, status no longer lists it, whenever the
// loop forgets it.
func (r *run) takeOffRecord(old *program) {
	old.offRecord.Store(true) // before the change is published: see publishCopies
	server.UpdateRecord(r.ctx, func(rec *instance.Record) {
		rec.Copies = slices.DeleteFunc(rec.Copies, func(c instance.Copy) bool {
			return c.PID == old.pid && c.Generation == old.gen
		})
	})
}

// failedStatus stands for a restart that never got ready, and did not end by itself (not
// ready in time, or not started at all): it counts as a failure.
const failedStatus = syscall.WaitStatus(1 << 8)

// closedStatus is a channel that already holds ws.
func closedStatus(ws syscall.WaitStatus) <-chan syscall.WaitStatus {
	ch := make(chan syscall.WaitStatus, 1)
	ch <- ws
	return ch
}

// sigName is SIGTERM, SIGINT, ...
func sigName(sig syscall.Signal) string {
	if name := unix.SignalName(sig); name != "" {
		return name
	}
	return fmt.Sprintf("signal %d", int(sig))
}
