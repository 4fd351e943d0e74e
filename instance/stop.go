package instance

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/daemonkit/daemonkit/notify"
	"github.com/daemonkit/daemonkit/pidfile"
	"golang.org/x/sys/unix"
)

// killWait is how long Stop waits for a process to be gone after SIGKILL.
const killWait = 5 * time.Second

// cleanupWait is how long Stop, past the timeout, gives a daemon whose program and other
// processes it has killed to clean up and exit on its own before it is killed too: a
// supervisor takes milliseconds.
const cleanupWait = 2 * time.Second

// startAwait is how long Stop waits at least for the daemon of a start under way to take
// its pidfile (it takes milliseconds), whatever its timeout: a stop --timeout 0 included.
const startAwait = 10 * time.Second

// ErrStillRunning means the daemon was signalled but is still running.
var ErrStillRunning = errors.New("still running")

// ErrNotRunning means nothing holds the instance's pidfile.
var ErrNotRunning = errors.New("not running")

// StopOptions say how to stop.
type StopOptions struct {
	Signal  syscall.Signal // sent first; SIGTERM if 0
	Timeout time.Duration  // how long to wait for it to be gone, then SIGKILL unless NoKill; <= 0 waits as long as ctx allows
	NoKill  bool           // never SIGKILL: after Timeout, fail with ErrStillRunning
	// OwnStart says the caller holds the instance's start lock (BeginStart) across this
	// stop, as restart does: the start under way is the caller's, and Stop does not wait
	// for its daemon.
	OwnStart bool
	// Drain, if set, is how long the daemon whose record is rec may take to stop once
	// asked (its --shutdown-timeout, and what it takes to kill what is left). Stop waits
	// Drain of the record that names the daemon, from the signal, if that is longer than
	// Timeout: a daemon still starting when it is signalled has no record of its run yet,
	// and writes one as it begins to drain, which may be before Stop looks, or after.
	// Leave it nil for a Timeout the user gave.
	Drain func(rec Record) time.Duration
	// KeepStaleRecord leaves the record as it is where the pidfile is stale: a copy's
	// (cp -a of a state directory), whose run goes on, or ended, where it was copied from,
	// as that directory's record alone can tell. Otherwise a stale pidfile's record that
	// says its run goes on is marked gone without stopping.
	KeepStaleRecord bool
}

// StopResult says what Stop did.
type StopResult struct {
	WasRunning   bool          // false: nothing was running (RemovedStale says whether a stale pidfile was removed)
	PID          int           // the process stopped, when WasRunning
	Elapsed      time.Duration // from the signal to gone
	Killed       bool          // SIGKILL was needed
	KilledAfter  time.Duration // when Killed: how long it was given first (o.Timeout, or the drain its record asked for)
	RemovedStale bool          // a stale pidfile was removed (found stale, or left by a killed daemon)
	Leftovers    []int         // processes the last run left running, which Stop killed (see Leftovers)
	// NotCleanedUp says what of the daemon's files Stop could not clean up once it was
	// gone (a pidfile on a file system since made read-only, say): a warning, not a failure
	// to stop.
	NotCleanedUp error
}

// Stop stops the instance whose daemon holds the lock of p.PIDFile, and returns the moment
// it is gone (a zombie counts as gone). It never trusts the pid in the file: the signal goes
// to the lock holder only, through a handle proven to be that holder (on Linux a pidfd, so a
// reused pid cannot be hit); if the pidfile was deleted or replaced by hand, to the process
// the record names when its pid and start time prove it the daemon. The stop signal is
// followed by SIGCONT, so a daemon stopped by SIGSTOP handles it. A stale pidfile is removed, race-free, and no process is
// signalled. After o.Timeout it sends SIGKILL and waits up to 5s more, unless o.NoKill. It
// never reports stopped while the process lives: then the error wraps ErrStillRunning. A
// ctx that ends first makes Stop return an error wrapping both ErrStillRunning and
// ctx.Err(), without SIGKILL. Once the daemon is gone, the pidfile it left (if killed) is
// removed and its record marked stopped (it is kept: restart starts the instance again).
// Once the daemon is gone, what Stop could not clean up after it (its pidfile on a file
// system since made read-only, say) is StopResult.NotCleanedUp, a warning, not an error.
// While a start of the instance is under way and its daemon holds no pidfile yet, Stop
// first waits for the daemon to take it (milliseconds), at least 10s or o.Timeout if
// longer, and then stops it: the start fails, "stopped before it was ready".
func Stop(ctx context.Context, p Paths, o StopOptions) (StopResult, error) {
	if o.Signal == 0 {
		o.Signal = syscall.SIGTERM
	}
	// A start under way whose daemon holds no pidfile yet: wait for the daemon, to stop it.
	within := max(o.Timeout, startAwait)
	if o.Timeout <= 0 {
		within = 0 // as long as ctx allows
	}
	if !o.OwnStart { // else the start under way is the caller's own
		if err := AwaitDaemon(ctx, p, within); err != nil {
			return StopResult{}, fmt.Errorf("stop %s: %w", p.Name, err)
		}
	}
	for range maxAttempts {
		h, st, err := openHolder(p)
		if err != nil && !replacedByHand(err) {
			return StopResult{}, fmt.Errorf("stop %s: %w", p.Name, err)
		}
		if h == nil {
			h, _ = proven(p) // its pidfile was deleted or replaced by hand
		}
		if h != nil {
			defer h.Close()
			return stopHolder(ctx, p, h, o)
		}
		if err != nil {
			return StopResult{}, fmt.Errorf("stop %s: %w", p.Name, pidfile.Advise(p.PIDFile, err, pidfileFlag))
		}
		_, _ = pidfile.RemoveStale(p.StartLock()) // what a start killed on its way left; a held one stays
		if st.State == pidfile.Absent {
			return withLeftoversKilled(p, StopResult{}, nil)
		}
		res, err := removeStale(p, st, o.KeepStaleRecord)
		if errors.Is(err, pidfile.ErrLocked) {
			continue // a daemon took the lock since we looked: stop that one
		}
		return withLeftoversKilled(p, res, err)
	}
	return StopResult{}, fmt.Errorf("stop %s: %w", p.Name, errUnsettled)
}

// removeStale removes the stale pidfile st describes, and marks the record of the pid it
// names gone, unless keepRecord. The error wraps pidfile.ErrLocked if a daemon took the
// lock meanwhile.
func removeStale(p Paths, st pidfile.Status, keepRecord bool) (StopResult, error) {
	removed, err := pidfile.RemoveStale(p.PIDFile)
	if err != nil {
		return StopResult{}, fmt.Errorf("stop %s: %w", p.Name, err)
	}
	res := StopResult{RemovedStale: removed}
	notify.RemoveStale(filepath.Dir(p.PIDFile)) // a daemon that died so left its notify socket too
	RemoveStaleControl(p)                       // and its supervisor's control socket
	if keepRecord {
		return res, nil
	}
	if err := MarkStopped(p.Record, st.FilePID, gone, true); err != nil {
		// Nothing runs, and the pidfile is gone: a record that still says running (a full
		// disk) is a warning, as for a daemon that stopped, not a stop that failed.
		res.NotCleanedUp = fmt.Errorf("stop %s: its stale pidfile is removed, but: %w", p.Name, err)
	}
	return res, nil
}

// stopHolder signals h, the proven lock holder, waits for it to be gone, and cleans up.
func stopHolder(ctx context.Context, p Paths, h *proc.Process, o StopOptions) (StopResult, error) {
	pid := h.PID()
	res := StopResult{WasRunning: true, PID: pid}
	start := time.Now()
	sig := o.Signal
	if rec, err := ReadRecord(p.Record); err == nil && sig != syscall.SIGKILL && rec.State == StateStopping && rec.names(pid) && rec.isFor(p) {
		// It is stopping already (another stop, a restart): a second stop signal would cut
		// its drain short, so this stop only waits for it, and escalates as it would.
		sig = 0
	}
	pgid := instanceGroup(h, p) // while it lives: its group's id names nothing else
	signal := h.Signal
	calledOff := 0 // the start whose daemon this stop calls off, having said so in its record
	if sig == syscall.SIGKILL {
		calledOff = recordKilledStarting(p, pid) // after instanceGroup: the record it writes proves no group
		// Everything at once, but what runs below it first: a SIGKILL to it alone would
		// hand its program's children to init, running.
		signal = func(syscall.Signal) error { return killAll(ctx, h, pgid) }
	}
	switch err := signal(sig); {
	case errors.Is(err, proc.ErrGone): // it exited on its own since we proved it the holder
	case errors.Is(err, os.ErrPermission):
		return res, fmt.Errorf("stop %s: %w", p.Name, notPermitted(pid))
	case err != nil:
		return res, fmt.Errorf("stop %s: %w", p.Name, err)
	default:
		_ = h.Signal(syscall.SIGCONT) // a stopped daemon must run to handle its stop signal
		killed, waited, err := waitGone(ctx, h, o, pgid, drainOnceRecorded(p, pid, o.Drain))
		res.Elapsed, res.Killed = time.Since(start), killed
		if killed {
			res.KilledAfter = waited
		}
		if err != nil {
			return res, fmt.Errorf("stop %s: %w", p.Name, err)
		}
	}
	lastExit := ""
	if res.Killed {
		lastExit = "killed by signal 9 (SIGKILL): stop's --timeout passed"
		notify.RemoveStale(filepath.Dir(p.PIDFile)) // which its Close never removed
	}
	removed, cerr := cleanUp(p, pid, lastExit)
	res.RemovedStale = removed
	res, err := withLeftoversKilled(p, res, nil) // a daemon that did not stop cleanly (killed) may have left some
	// A caller that holds the start lock itself would wait on itself.
	if calledOff != 0 && !o.OwnStart {
		dropNeverRan(ctx, p, pid, calledOff)
	}
	if cerr != nil {
		res.NotCleanedUp = fmt.Errorf("stop %s: pid %d is gone, but: %w", p.Name, pid, cerr)
	}
	return res, err
}

// recordKilledStarting writes, for the daemon pid of the instance at p that a stop is
// about to SIGKILL while it is still starting (its record does not name it: it has written
// none yet), what the daemon writes itself when a stop calls its start off and it can
// still say so (server's stoppingStart): its record, stopping, "start called off: stopped
// by SIGKILL before it was ready", with its run's invocation. A SIGKILL gives it no word,
// and its start would otherwise record a failed start, as for the OOM killer; it finds
// this record of its own run, and records the start called off (an instance that never
// ran keeps none). The record keeps what an earlier run's said of how to start it, but no
// strategy, session or program's process of that run: nothing here proves a process group
// or a session this run's. Nothing is written unless a start of the instance is under way
// (its start lock is held: a daemon whose record was deleted by hand is not starting) and
// the daemon is one a start launched (its environment holds InvocationEnv), or unless,
// with no start under way, it is a start in the foreground, its own daemon: its program,
// its child, carries the run's mark, and it has none itself (it sets it as it runs, where
// /proc does not show it). The SIGKILL takes that start too, so this record is all that
// tells of its end. (A foreground daemon that was ready, whose record was deleted by hand
// and not yet put back, is taken for one starting, as status takes it.) Nothing is
// written over a record that is not this user's. It returns the pid of the start (the
// daemon's own, in the foreground) when it wrote the record, else 0.
func recordKilledStarting(p Paths, pid int) (start int) {
	start = p.StartUnderWay()
	invocation, ok := proc.Getenv(pid, InvocationEnv)
	child := 0 // a start in the foreground's program
	switch {
	case start != 0 && ok && invocation != "" && !inheritedMark(pid, invocation, start): // a daemon the start under way launched
	case start == 0 && !ok: // maybe a start in the foreground: its program carries the run's mark
		if invocation, child, ok = childInvocation(pid); !ok {
			return 0
		}
		start = pid
	default:
		return 0
	}
	// Only over the record it read, or where there is none: the daemon may write its own
	// (it became ready) at any moment, and that one stays (updateRecord).
	wrote := false
	_ = updateRecord(p.Record, func(rec *Record, err error) (bool, error) { // informative: the stop goes on
		switch {
		case err != nil && !errors.Is(err, fs.ErrNotExist):
			return false, nil // not ours to replace
		case err == nil && rec.names(pid):
			return false, nil // it is ready, or has said itself that it stops
		}
		rec.Name, rec.PIDFile, rec.Invocation = p.Name, p.PIDFile, invocation
		rec.PID, rec.StartTime, rec.BootID, rec.AliveTicks = pid, StartTime(pid), BootID(), 0
		rec.Strategy, rec.Session, rec.ChildPID, rec.ChildStartTime, rec.Copies = "", 0, 0, 0, nil
		rec.State, rec.StoppedAt, rec.Failed, rec.RestartAt = StateStopping, time.Time{}, false, time.Time{}
		rec.LastExit = StartCalledOff + "stopped by SIGKILL before it was ready"
		if child != 0 && rec.Program != "" {
			// An earlier run's record: the start killed, its own daemon, records nothing
			// more, so its command, not that run's, is what restart's advice names.
			rec.Command, rec.Request = foregroundCommand(pid, child), nil
		}
		wrote = true
		return true, nil
	})
	if !wrote {
		return 0
	}
	return start
}

// inheritedMark reports whether the run's mark that pid was executed with is its parent's
// too (or pid's parent cannot be read): then pid inherited it, as a start in the foreground
// run as another instance's program shows that instance's mark in /proc (the mark it sets
// for its own run is not seen there), and it is no mark of a run of this instance. A
// daemon that a start launched got its run's own mark, fresh, which its parent (the start,
// init or a subreaper once it was reparented) does not carry; but for the parent that
// start itself launched with it, the reexec strategy's intermediate, which forked the
// daemon and may not have exited yet (a loaded machine).
// The intermediate may exit between the reads of its environment and its stat: it is then
// asked again of the parent pid has by then.
func inheritedMark(pid int, mark string, start int) bool {
	for range 2 {
		st, err := proc.ReadStat(pid)
		if err != nil {
			return true
		}
		if v, ok := proc.Getenv(st.PPID, InvocationEnv); !ok || v != mark {
			return false
		}
		if parent, err := proc.ReadStat(st.PPID); err == nil {
			return parent.PPID != start
		}
	}
	return true
}

// childInvocation is the run's mark (InvocationEnv) that a child of pid carries, that
// child, and whether one does: a start in the foreground sets it for its program alone.
func childInvocation(pid int) (string, int, bool) {
	for _, child := range proc.Children(pid) {
		v, ok := proc.Getenv(child, InvocationEnv)
		if st, err := proc.ReadStat(child); ok && v != "" && err == nil && st.PPID == pid {
			return v, child, true // still pid's child once read: not another that reused its pid
		}
	}
	return "", 0, false
}

// startEndWait bounds how long dropNeverRan waits for a start whose daemon a stop killed
// to end: it sees its daemon gone at once, and records its end in milliseconds.
const startEndWait = 5 * time.Second

// dropNeverRan removes the record that recordKilledStarting wrote for the daemon pid
// of an instance that never ran (it names no program: there was no earlier run's record
// to keep it from), once start, the start that launched that daemon, has ended (at once
// for a start in the foreground, which was the daemon). This build's start removes it
// itself, as it removes the record of any start called off of an instance that never
// ran; a start of an older build (before 2026-11-27 14:14 UTC, when stop began to write
// this record) does not, and the record
// it left named no program (list: command "-"; restart: "no record of how it was
// started"). A record that names a program (an earlier run's, or one the daemon or its
// start wrote since) stays, without a wait, and so does every record if the start has not
// ended within startEndWait, is suspended, or ctx ends first.
func dropNeverRan(ctx context.Context, p Paths, pid, start int) {
	neverRan := func(r Record) bool { return r.PID == pid && r.Program == "" && r.CalledOffStart() }
	if r, err := ReadRecord(p.Record); err != nil || !neverRan(r) {
		return // an earlier run's record, or none: nothing to wait for
	}
	end := time.Now().Add(startEndWait)
	for backoff := time.Millisecond; p.StartUnderWay() == start; backoff = min(2*backoff, 50*time.Millisecond) {
		if ctx.Err() != nil || time.Now().After(end) || suspended(start) {
			return // a start stopped (Ctrl-Z) ends only once it is continued
		}
		time.Sleep(backoff) // a polling step: a lock's release wakes nobody
	}
	_ = removeRecordIf(p.Record, neverRan) // informative: the stop is done
}

// suspended reports whether pid is stopped by a signal (SIGSTOP, SIGTSTP: a Ctrl-Z).
func suspended(pid int) bool {
	st, err := proc.ReadStat(pid)
	return err == nil && st.Stopped()
}

// withLeftoversKilled is res, err once what the last run of the instance at p left
// running is killed, now that no daemon of it runs.
func withLeftoversKilled(p Paths, res StopResult, err error) (StopResult, error) {
	if err != nil {
		return res, err
	}
	var notCleared error
	res.Leftovers, notCleared, err = killLeftovers(p)
	if err != nil {
		return res, fmt.Errorf("stop %s: %w", p.Name, err)
	}
	if notCleared != nil && res.NotCleanedUp == nil {
		res.NotCleanedUp = fmt.Errorf("stop %s: nothing of its last run is left, but: %w", p.Name, notCleared)
	}
	return res, nil
}

// instanceGroup is the process group of h, the proven daemon of the instance at p, read
// while it is alive (so the group, which it is a member of, cannot have been reused): the
// group a SIGKILL goes to after the timeout, with whatever the daemon started in it. It is
// that only where it is proven the instance's, a detached daemon's: its record names it
// with a strategy. 0 otherwise: a daemon in the foreground (no strategy) runs in the group
// of the shell job or script that started it, never the instance's to kill, and one not
// ready yet has no record to tell (what runs below it is killed all the same; a detached
// daemon's group holds nothing else); and 0 when the group cannot be had, or is the
// caller's own.
func instanceGroup(h *proc.Process, p Paths) int {
	pgid, err := unix.Getpgid(h.PID())
	if err != nil || pgid < 2 || pgid == unix.Getpgrp() || h.Signal(0) != nil {
		return 0
	}
	if rec, err := ReadRecord(p.Record); err == nil && rec.names(h.PID()) && rec.Strategy != "" {
		return pgid
	}
	return 0
}

// waitGone waits for h to be gone after it was signalled: up to o.Timeout (or as long as
// drain, if not nil, says once it says more: see waitTimeout), then (unless
// o.NoKill) SIGKILL, first to what runs with it (killAround: what runs below it, and the
// rest of its group pgid if not 0), giving it cleanupWait to exit on its own, then to the
// groups its children lead and the whole process group pgid if not 0 (once h is stopped:
// see halt), and to h, and up to killWait more, for the group as well. It reports whether
// SIGKILL was sent, and how long it waited before (or before giving up, with o.NoKill).
func waitGone(ctx context.Context, h *proc.Process, o StopOptions, pgid int, drain func() time.Duration) (killed bool, waited time.Duration, err error) {
	pid := h.PID()
	waited, err = waitTimeout(ctx, h, o.Timeout, drain)
	switch {
	case err == nil:
		return false, 0, nil
	case ctx.Err() != nil:
		return false, 0, fmt.Errorf("pid %d %w: gave up waiting: %w", pid, ErrStillRunning, ctx.Err())
	case !errors.Is(err, context.DeadlineExceeded):
		return false, 0, err
	case o.NoKill:
		return false, waited, fmt.Errorf("pid %d %w %s after %v (not killed: no-kill)", pid, ErrStillRunning, waited, unix.SignalName(o.Signal))
	}
	if killAround(ctx, pid, pgid) > 0 {
		// What ran with it is gone: a supervisor now sees its program gone, and exits.
		// Only if it does not is it killed too.
		kctx, cancel := context.WithTimeout(ctx, cleanupWait)
		err := h.Wait(kctx)
		cancel()
		if ctx.Err() != nil { // the caller gave up: no SIGKILL to the daemon, as documented
			return true, waited, fmt.Errorf("pid %d %w: gave up waiting: %w", pid, ErrStillRunning, ctx.Err())
		}
		if err == nil {
			// Nothing is signalled once it has exited (its pid, the group's id, may be
			// another's once it is reaped); killAround's rounds left none of its group alive.
			if pgid > 0 {
				proc.WaitGroupGone(pgid, killWait)
			}
			return true, waited, nil
		}
	}
	release := func() {}
	if pgid > 0 {
		// Its groups are killed by number, and a number names a group only while a member
		// lives: the daemon must neither reap a child that leads one (a supervisor reaps its
		// old copies during an upgrade), nor exit, between the look and the kill, or a
		// stranger that took the number since (setsid) would lose its whole group. So it is
		// stopped first, and killed after, come what may: not even an interrupt of this
		// process in between may leave it stopped.
		release = holdInterrupts()
		switch halt(h) {
		case halted:
			// The groups its children lead first (a supervisor's copies during an upgrade),
			// which it holds as children, alive or not, then the instance's own.
			groups := proc.ChildGroups(pid)
			beforeGroupKills(pid, groups)
			for _, g := range groups {
				_ = unix.Kill(-g, unix.SIGKILL)
				defer proc.WaitGroupGone(g, killWait)
			}
			_ = unix.Kill(-pgid, unix.SIGKILL) // the daemon is a member: the group is the instance's
			defer proc.WaitGroupGone(pgid, killWait)
		case haltExited:
			// It exited on its own after all: nothing is signalled by number (as above).
			defer proc.WaitGroupGone(pgid, killWait)
		default:
			// It did not stop (a thread waits in the kernel, state D, where no signal takes
			// it, and may be on its way out): no number is safe to kill by. What runs below
			// it is killed through handles, each checked once opened (its group's other
			// members were, by killAround, while it lived); its SIGKILL below, pending until
			// that wait returns, takes it.
			killAround(ctx, pid, 0)
		}
	}
	err = h.Signal(syscall.SIGKILL)
	release()
	if err != nil {
		if errors.Is(err, proc.ErrGone) {
			return pgid > 0, waited, nil // it made it on its own after all, or the group's SIGKILL took it
		}
		return false, waited, fmt.Errorf("pid %d still running after %s: %w", pid, waited, err)
	}
	kctx, cancel := context.WithTimeout(ctx, killWait)
	defer cancel()
	if err := h.Wait(kctx); err != nil {
		if ctx.Err() != nil {
			return true, waited, fmt.Errorf("pid %d %w after SIGKILL%s: gave up waiting: %w", pid, ErrStillRunning, waitsInKernel(pid), ctx.Err())
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			return true, waited, err
		}
		return true, waited, fmt.Errorf("pid %d %w %s after SIGKILL%s", pid, ErrStillRunning, killWait, waitsInKernel(pid))
	}
	return true, waited, nil
}

// haltWait bounds how long halt waits for a daemon sent SIGSTOP to stop: its threads take
// it in microseconds, unless one waits in the kernel (state D).
const haltWait = time.Second

// beforeGroupKills is called by waitGone with the daemon pid and the groups its children
// lead, once read, before it kills them: a test's seam.
var beforeGroupKills = func(pid int, groups []int) {}

// isHalted is proc.Halted; a test may replace it.
var isHalted = proc.Halted

// haltResult is what halt found.
type haltResult int

const (
	notHalted  haltResult = iota // it did not stop in time, or could not be signalled
	halted                       // no thread of it runs
	haltExited                   // it is gone, a zombie or reaped
)

// halt stops the daemon h (SIGSTOP) and waits, up to haltWait, until no thread of it runs,
// so that it can neither reap a child nor exit: halted, or haltExited if it is gone;
// notHalted if it did not stop in time or cannot be signalled. Where its threads cannot be
// read (not Linux, no /proc mounted, hidepid), the SIGSTOP it accepted is all there is to
// go by: halted, so that its groups are killed by number as they were before halt. A
// thread held by its tracer (t) counts as stopped: it runs only when its tracer lets it.
func halt(h *proc.Process) haltResult {
	switch err := h.Signal(syscall.SIGSTOP); {
	case errors.Is(err, proc.ErrGone):
		return haltExited
	case err != nil:
		return notHalted
	}
	end := time.Now().Add(haltWait)
	for backoff := 100 * time.Microsecond; ; backoff = min(2*backoff, 20*time.Millisecond) {
		if errors.Is(h.Signal(0), proc.ErrGone) {
			return haltExited
		}
		switch stopped, err := isHalted(h.PID()); {
		case stopped:
			return halted
		case err != nil && !errors.Is(h.Signal(0), proc.ErrGone):
			// Its threads cannot be read here (no /proc mounted, hidepid), as on a system
			// without /proc: the SIGSTOP it accepted is all there is to go by.
			return halted
		}
		if time.Now().After(end) {
			return notHalted
		}
		time.Sleep(backoff) // a polling step: nothing wakes a waiter when a process stops
	}
}

// inKernelWait is proc.InKernelWait; a test may replace it.
var inKernelWait = proc.InKernelWait

// WaitsInKernel says why pid, still running after SIGKILL, outlived it when a thread of it
// waits in the kernel (state D), which no signal ends: why, and when it will end, in the
// words of Stop's error. "" otherwise (or where that cannot be read).
func WaitsInKernel(pid int) string {
	if !inKernelWait(pid) {
		return ""
	}
	return "a thread of it waits in the kernel (state D), where no signal reaches it, most often for a frozen or hung disk or NFS server; it ends once that wait returns"
}

// waitsInKernel is what Stop's error that pid is still running after SIGKILL adds:
// WaitsInKernel's why, after ": ", or "".
func waitsInKernel(pid int) string {
	if why := WaitsInKernel(pid); why != "" {
		return ": " + why
	}
	return ""
}

// waitTimeout waits for h to be gone, up to timeout from now (for ever if it is 0 or less,
// as long as ctx allows): the error wraps context.DeadlineExceeded once that has passed. If
// drain is not nil, it is asked as the wait goes on, every 100ms at most, how long the
// daemon takes to stop, until it says (more than 0); the wait is then that long from now's
// start, if that is longer. It returns how long it gave h, from now: timeout, or drain's.
func waitTimeout(ctx context.Context, h *proc.Process, timeout time.Duration, drain func() time.Duration) (time.Duration, error) {
	if timeout <= 0 {
		return 0, h.Wait(ctx)
	}
	start := time.Now()
	end := start.Add(timeout)
	for step := 10 * time.Millisecond; drain != nil; step = min(2*step, 100*time.Millisecond) {
		if d := drain(); d > 0 {
			end = later(end, start.Add(d))
			break
		}
		if !time.Now().Before(end) {
			break
		}
		wctx, cancel := context.WithDeadline(ctx, earlier(end, time.Now().Add(step)))
		err := h.Wait(wctx)
		cancel()
		if err == nil || ctx.Err() != nil || !errors.Is(err, context.DeadlineExceeded) {
			return end.Sub(start), err
		}
	}
	wctx, cancel := context.WithDeadline(ctx, end)
	defer cancel()
	return end.Sub(start), h.Wait(wctx)
}

// drainOnceRecorded is, for waitTimeout, how long the daemon pid of the instance at p
// takes to stop by drain (StopOptions.Drain) of its record, once its record names it, 0
// until then; nil if drain is. It is asked even of a record that named the daemon when
// Stop first looked: a daemon still starting writes its record as it begins to drain, so
// it may have written it between the signal and this call (a stop descheduled there, on
// a loaded machine), and a caller's timeout read before the signal never saw it.
func drainOnceRecorded(p Paths, pid int, drain func(Record) time.Duration) func() time.Duration {
	if drain == nil {
		return nil
	}
	return func() time.Duration {
		rec, err := ReadRecord(p.Record)
		if err == nil && rec.names(pid) && rec.isFor(p) {
			return max(drain(rec), time.Nanosecond)
		}
		return 0
	}
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func earlier(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// cleanUp removes what a daemon that is gone may have left: its pidfile, if it was killed
// before it could remove it (only while nobody holds the lock); its record, which it marks
// stopped, with lastExit, if the daemon could not. A pidfile it cannot remove (its file
// system made read-only), or cannot even look at (a FIFO put at its path), does not keep
// the record from being marked: the daemon was stopped, and status must not call it
// crashed; the error says both when both fail.
func cleanUp(p Paths, pid int, lastExit string) (removedStale bool, err error) {
	// A path it cannot look at (replaced by hand with a FIFO, say) keeps the record from
	// being marked no more than a pidfile it cannot remove.
	st, rmErr := pidfile.Probe(p.PIDFile)
	rmErr = pidfile.Advise(p.PIDFile, rmErr, pidfileFlag)
	if rmErr == nil && st.State == pidfile.Stale {
		removedStale, rmErr = removeStalePidfile(p.PIDFile)
		if errors.Is(rmErr, pidfile.ErrLocked) {
			removedStale, rmErr = false, nil // a new daemon took it: it is not ours to touch
		}
		if rmErr == nil {
			RemoveStaleControl(p) // a supervisor killed so left its control socket too
		}
	}
	markErr := MarkStopped(p.Record, pid, lastExit, false)
	if errors.Is(rmErr, syscall.ENOTDIR) && errors.Is(markErr, syscall.ENOTDIR) {
		// A file where their directory was (a daemon found by its lock alone): neither
		// a pidfile nor a record is left to clean up.
		rmErr, markErr = nil, nil
	}
	if rmErr != nil && markErr != nil {
		return removedStale, fmt.Errorf("%w; %w", rmErr, markErr) // one line, as a warning is
	}
	return removedStale, cmp.Or(rmErr, markErr)
}

// removeStalePidfile is pidfile.RemoveStale (a variable for the tests: a pidfile on a file system
// made read-only cannot be removed).
var removeStalePidfile = pidfile.RemoveStale

// gone is the last exit of a daemon found gone without having marked its record: it was
// killed, or crashed.
const gone = "gone without stopping (crashed or killed)"
