package supervisor

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/internal/proc"
)

// dieWithSupervisor makes the kernel SIGKILL the program if the supervisor dies first (kill
// -9, the OOM killer): its pidfile lock goes with the supervisor, so a program left running
// would be a copy that status cannot see and that a new start would run beside. The signal
// survives the exec step and --user, but not a fork: a daemon that the program forks (see
// --ready pidfile:) and its other descendants outlive it, and are found afterwards by the
// run's mark in their environment (instance.InvocationEnv).
func dieWithSupervisor(sys *syscall.SysProcAttr) { sys.Pdeathsig = syscall.SIGKILL }

// keepDeathSignal gives the exec step's calling thread, locked to it for good, the
// parent-death signal that dieWithSupervisor gave the step's first thread. The signal is a
// thread's: a thread the Go runtime starts has none, and an execve from such a thread keeps
// only its own, so without this the program would outlive a killed supervisor whenever the
// exec step happened to run on another thread than its first. If the supervisor dies before
// this, the first thread's signal kills the step; after it, this thread's does.
func keepDeathSignal() error {
	runtime.LockOSThread() // never unlocked: the exec replaces the process, or it fails and exits
	return unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(syscall.SIGKILL), 0, 0, 0)
}

// killInstance SIGKILLs every process of the instance but this one, and waits for each to
// be gone: every process below this one (the program, checks, adopted orphans, and what
// they started, in whatever session or process group it put itself), the process groups
// they lead, and, when the supervisor's own group is the instance's (OwnGroup), every
// other member of it (see proc.KillBelow). It returns what it could not kill within
// killBound. The reaper then reaps them. A subreaper with no child has nothing left to
// find (the usual case after a clean exit), and the scan of every process is skipped; the
// one thing it would still find, a process outside the tree that put itself into the
// supervisor's own group, cannot be made without setpgid in this session by that process
// itself.
func (s *Supervisor) killInstance() (left []int) {
	w := s.currentWitness()
	if proc.Childless(w.pids()...) {
		return nil
	}
	group := 0
	if s.cfg.OwnGroup {
		group = syscall.Getpgrp()
	}
	ctx, cancel := context.WithTimeout(context.Background(), killBound)
	defer cancel()
	_, left = proc.KillBelow(ctx, os.Getpid(), group, w.pids()...)
	return left
}

// killDeadCopies SIGKILLs what copies that are gone left running while other copies live
// (old ones draining after an upgrade, or the new one once an old one has drained): the
// processes that carry this run's mark and the generation (GenerationEnv) of no live copy,
// wherever they moved, and waits for them to be gone. The live copies, and whatever they
// started, are left alone, which killInstance, by the process tree, could not do. It
// returns the pids it killed.
func (r *run) killDeadCopies() []int {
	run := os.Getenv(instance.InvocationEnv)
	if run == "" {
		return nil // started by hand, without start's mark: nothing to tell copies apart by
	}
	live := map[string]bool{}
	for _, c := range r.copies {
		live[strconv.Itoa(c.gen)] = true
	}
	killed := instance.KillMarked(instance.InvocationEnv+"="+run, func(pid int) bool {
		gen, ok := proc.Getenv(pid, GenerationEnv)
		return ok && !live[gen]
	})
	if len(killed) > 0 {
		r.log.Warn("killed what a copy that is gone left running", "pids", killed)
	}
	return killed
}
