package instance

import (
	"context"
	"syscall"

	"github.com/daemonkit/daemonkit/internal/proc"
)

// killAround SIGKILLs what runs with the daemon pid, but not the daemon itself: every
// process below it (a supervised program, and what that started, in whatever session or
// group it put itself), the groups those lead, and the other members of its process
// group pgid if not 0 (see proc.KillBelow), waiting up to killWait for them to be gone.
// It returns how many it signalled; 0 where /proc cannot be read.
//
// It is stop's first step past --timeout: the daemon, left alive, sees its work gone and
// exits on its own, cleaning up after itself. Its own SIGKILL first would hand what runs
// below it to init, running, where only the run's mark in their environment could find
// them.
func killAround(ctx context.Context, pid, pgid int) int {
	kctx, cancel := context.WithTimeout(ctx, killWait)
	defer cancel()
	killed, _ := proc.KillBelow(kctx, pid, pgid)
	return killed
}

// killAll SIGKILLs the daemon h and everything of its instance at once, as stop --signal
// KILL asks: it stops the daemon first (SIGSTOP), so that a supervisor neither restarts
// nor reaps what is killed below it (its orphans come to it, where the next look finds
// them), then kills what runs with it (killAround), then it. pgid is the daemon's process
// group if it is the instance's (instanceGroup), else 0. The error wraps proc.ErrGone if
// the daemon was gone before it was stopped. Interrupts of this process are held off
// from the SIGSTOP to the SIGKILL (see holdInterrupts): none leaves the daemon stopped.
func killAll(ctx context.Context, h *proc.Process, pgid int) error {
	defer holdInterrupts()()
	if err := h.Signal(syscall.SIGSTOP); err != nil {
		return err
	}
	killAllStopped(h.PID())
	killAround(ctx, h.PID(), pgid)
	return h.Signal(syscall.SIGKILL)
}

// killAllStopped is called by killAll with the daemon pid once it has sent it SIGSTOP: a
// test's seam.
var killAllStopped = func(pid int) {}
