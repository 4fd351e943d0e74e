package supervisor

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/internal/chans"
	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/daemonkit/daemonkit/server"
)

// mainEnd says that h, the main process a copy named (MAINPID=), has ended, and how, where
// that could be known (see namedStatus).
type mainEnd struct {
	h     *proc.Process
	start uint64 // its start time, 0 if unknown: see namedStatus
	ws    syscall.WaitStatus
	known bool
}

// String says how it ended: "exited with status 3", or that this cannot be known.
func (e mainEnd) String() string {
	if e.known {
		return describe(e.ws)
	}
	return "ended (its status is not known)"
}

// status is its wait status for --restart and the supervisor's own exit: one that cannot
// be known counts as a failure (failedStatus). A clean end is not presumed of a main
// process that ended while the wrapper that named it ran on, leaving a copy that serves
// nothing; a known status counts as it is, as systemd counts it (exit 0 is no failure).
func (e mainEnd) status() syscall.WaitStatus {
	if e.known {
		return e.ws
	}
	return failedStatus
}

// testHookMainEnded, when set by a test, runs in a named main process's watch once it has
// ended and its status was read, before the notifications sent before that end are read
// (settleNotes) and the end is handed on. Atomic: a watch may outlive the test that
// started it.
var testHookMainEnded atomic.Pointer[func(mainEnd)]

// watchMain watches h, the main process the copy p names (MAINPID=; start is its start
// time, as /proc gives it, which tells its zombie from a process given its pid since),
// and hands its end on p.mainGone: to awaitReady while p starts (a failed start), to wait
// once p serves (the copy has ended). It is not watched when it is p's first process,
// whose end is the copy's already. It returns what ends the watch (unwatch: the copy named
// another process, or a stop, drain or kill of it took over, freezeMain, or it ended,
// dropMain), and what releases the status the reaper keeps of it meanwhile, should it be
// an orphan this subreaper reaps (release: once its handle is closed, as endForMain may
// read that status after the watch is over).
func (r *run) watchMain(p *program, h *proc.Process, start uint64) (unwatch, release func()) {
	if p.mainGone == nil || h.PID() == p.pid {
		return func() {}, func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	pid := h.PID()
	r.reaper.keepStatus(pid)
	go func() {
		if h.Wait(ctx) != nil {
			return // the watch is over, or the handle closed (the copy is gone)
		}
		end := mainEnd{h: h, start: start}
		end.ws, end.known = r.namedStatus(h, start)
		if hook := testHookMainEnded.Load(); hook != nil {
			(*hook)(end)
		}
		// A MAINPID= naming its successor, sent before it exited, is taken first: its
		// end is then none of the copy's (stillNames), and this watch is over.
		r.settleNotes(ctx, p)
		select {
		case p.mainGone <- end:
		case <-ctx.Done():
		}
	}()
	return cancel, sync.OnceFunc(func() { r.reaper.forgetStatus(pid) })
}

// zombieExitStatus is proc.ZombieExitStatus, and handleExitStatus proc.Process.ExitStatus;
// a test replaces them to stand for a /proc that hides a zombie's exit code from the
// supervisor, and a kernel that keeps no status for a pidfd (before Linux 6.15).
var (
	zombieExitStatus = proc.ZombieExitStatus
	handleExitStatus = (*proc.Process).ExitStatus
)

// namedStatus is the wait status of h, a named main process that has ended (start: its
// start time, 0 if unknown), if it can be known: from /proc while it is a zombie that its
// parent has not reaped (the same process: its start time matches), where the kernel lets
// this process read it (proc.ZombieExitStatus); once reaped, by whichever parent, from its
// handle, where the kernel keeps it (Linux 6.15 and later); or from the reaper when it was
// an orphan of this subreaper. /proc is read first: a pid gone from it has its status in
// its handle, or kept by the reaper, by then.
func (r *run) namedStatus(h *proc.Process, start uint64) (syscall.WaitStatus, bool) {
	pid := h.PID()
	if ws, ok := zombieExitStatus(pid, start); ok {
		return ws, true
	}
	if ws, ok := handleExitStatus(h); ok {
		return ws, true
	}
	return r.reaper.keptStatusOf(pid)
}

// startTimeOf is pid's start time, 0 where it cannot be read.
func startTimeOf(pid int) uint64 {
	st, err := proc.ReadStat(pid)
	if err != nil {
		return 0
	}
	return st.StartTime
}

// stillNames reports whether h is still the main process the copy p names, and no stop,
// drain or kill of p has taken it over (freezeMain): an end of h that comes after p named
// another (nginx's binary upgrade names its new master, then the old one exits) is none
// of the copy's.
func (s *Supervisor) stillNames(p *program, h *proc.Process) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return p.main == h && !p.frozen
}

// mainEndedEarly is the error of a copy whose named main process ended before the copy
// was ready: as systemd does, a failed start.
type mainEndedEarly struct{ end mainEnd }

func (e *mainEndedEarly) Error() string {
	return fmt.Sprintf("the program's main process (pid %d, named by MAINPID=) %s before the program was ready", e.end.h.PID(), e.end)
}

// reapedBound bounds endForMain's wait, once the rest of the copy has stopped, for a named
// main process of unknown status to be reaped (by its parent, or this subreaper once that
// parent is gone), whose handle may then say how it ended.
const reapedBound = time.Second

// endForMain ends the copy p, which serves, whose named main process has ended (end) while
// its first process runs on (a wrapper that sleeps, or runs a helper): as systemd ends a
// service whose MAINPID ended, the copy counts as ended, with that process's status. Its
// first process is asked to stop (the stop signal) and waited for within
// ShutdownTimeout, as a stop does, then killed with what is left of the copy. It returns
// the status the copy ended with, for --restart: the named process's, or failedStatus
// where that cannot be known; p.failure says how it ended, for the record.
func (r *run) endForMain(p *program, end mainEnd) syscall.WaitStatus {
	r.endingCopy.Store(true) // an upgrade asked meanwhile is refused, saying why
	defer r.endingCopy.Store(false)
	r.s.freezeMain(p) // no MAINPID= is taken for it from now on
	pid := end.h.PID()
	how := end.String()
	if end.known && r.s.endedOfReload(pid, end.ws) {
		how = describeEnd(end.ws, true)
	}
	r.s.takeReloaded(pid) // its pid may be another's next
	p.failure, p.state = fmt.Sprintf("main process %d (named by MAINPID=) %s", pid, how), "stopping"
	r.removeChildPIDFile(false) // it names a pid that is gone, maybe another process's soon
	r.log.Warn("the program's main process ended while its first process ran on; stopping the rest of the copy",
		"mainpid", pid, "pid", p.pid, "status", how, "signal", sigName(r.s.cfg.StopSignal))
	server.UpdateRecord(r.ctx, func(rec *instance.Record) {
		rec.LastExit = p.failure
		if rec.ChildPID == pid {
			rec.SetChild(0) // gone: its pid may be another's soon
		}
		for i := range rec.Copies {
			if rec.Copies[i].PID == p.pid && rec.Copies[i].Generation == p.gen {
				rec.Copies[i].State = "stopping"
			}
		}
	})
	_, ended := r.askFirst(p, true, time.Now().Add(r.s.cfg.ShutdownTimeout))
	if !ended {
		r.log.Warn("the rest of the copy did not stop in time; killing it", "pid", p.pid, "after", r.s.cfg.ShutdownTimeout.String())
	}
	// What is left of it (the process that forked the main one, a helper) is killed now,
	// as systemd's control-group kill mode ends a service whose main process exited, not
	// only before a restart: the main process's parent would otherwise hold it unreaped.
	if len(r.sockets) > 0 {
		r.killGroup(p) // its own group: nothing of a copy still draining
	} else {
		sayOutlived(r.log, hclog.Warn, "processes of the copy outlived SIGKILL", r.s.killInstance())
	}
	if !ended {
		<-p.exited
	}
	if !end.known {
		// Its parent, ended now, has reaped it, or left it to this subreaper to reap: a
		// status /proc hid (a container without CAP_SYS_PTRACE) is in its handle once it
		// is reaped, where the kernel keeps it (Linux 6.15 and later).
		reaped := end.h.AwaitReaped(reapedBound)
		switch end.ws, end.known = r.namedStatus(end.h, end.start); {
		case end.known:
			p.failure = fmt.Sprintf("main process %d (named by MAINPID=) %s", pid, end)
			r.log.Info("the program's main process's status is known now that the rest of its copy has stopped", "mainpid", pid, "status", end.String())
		case reaped:
			r.log.Warn("the program's main process's status cannot be known: another process reaped it, and this kernel keeps no status for the supervisor (Linux 6.15 and later do); counted as a failure",
				"mainpid", pid)
		default:
			r.log.Warn("the program's main process's status cannot be known: /proc hides it from the supervisor, and nothing reaped it within the bound (its parent left the copy, or this kernel, before Linux 6.9, does not say); counted as a failure",
				"mainpid", pid, "bound", reapedBound.String())
		}
	}
	return end.status()
}

// askFirst asks the first process of the copy p to stop (the stop signal, then SIGCONT),
// if ask and it has not ended yet, and waits for it until deadline. It reports how it
// ended, if it did; p.exited holds that status again. Not once reaped: its pid may be
// another's then.
func (r *run) askFirst(p *program, ask bool, deadline time.Time) (syscall.WaitStatus, bool) {
	select {
	case ws := <-p.exited:
		p.exited = closedStatus(ws)
		return ws, true
	default:
	}
	if ask {
		_ = r.reaper.kill(p.pid, p.exited, r.s.cfg.StopSignal)
		_ = r.reaper.kill(p.pid, p.exited, syscall.SIGCONT) // a stopped program must run to handle it
	}
	ws, ended := chans.By(p.exited, deadline) // one that ended as the deadline passed ended in time
	if ended {
		p.exited = closedStatus(ws)
	}
	return ws, ended
}
