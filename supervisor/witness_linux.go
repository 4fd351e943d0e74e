package supervisor

import (
	"context"
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/daemonkit/daemonkit/internal/sysbin"
)

// witness is a process in the supervisor's process group that takes no signal: cat,
// started with every signal blocked, reading a pipe the supervisor holds (when the
// supervisor is gone, cat reads its end and ends). A signal sent to the whole group (the
// terminal's Ctrl-C or Ctrl-\, kill -INT -PGID) reaches it too, and stays pending there,
// where /proc shows it; one sent to the supervisor alone (stop --signal INT, docker stop
// with STOPSIGNAL SIGINT) does not. A foreground supervisor with a terminal has one. It
// is known by a handle, never by its pid alone: once it is gone, its pid may be another's.
type witness struct {
	h    *proc.Process
	pipe *os.File // the supervisor's end
}

// witnessCat is the cat the witness runs: as root, the system's, never one the
// supervisor's PATH (its program's, perhaps from an env file the --user may write) names.
func witnessCat() (string, error) { return sysbin.Find("cat") }

// witnessWait bounds how long heard looks for a signal pending in the witness: a signal
// sent to a group is queued to every member in one call, before the supervisor runs.
const witnessWait = 20 * time.Millisecond

// startWitness starts the witness; an error (no cat found: see witnessCat) leaves the
// supervisor without one (see heard).
func startWitness() (*witness, error) {
	cat, err := witnessCat()
	if err != nil {
		return nil, err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	// The process forked from this thread starts with its signal mask, which cat keeps.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var all, old unix.Sigset_t
	for i := range all.Val {
		all.Val[i] = ^uint64(0) // the kernel leaves KILL and STOP unblocked
	}
	if err := unix.PthreadSigmask(unix.SIG_BLOCK, &all, &old); err != nil {
		w.Close()
		return nil, err
	}
	cmd := exec.Command(cat)
	cmd.Stdin, cmd.Env = r, []string{} // no mark of the instance: nothing of its run
	err = cmd.Start()
	_ = unix.PthreadSigmask(unix.SIG_SETMASK, &old, nil)
	if err != nil {
		w.Close()
		return nil, err
	}
	pid := cmd.Process.Pid
	_ = cmd.Process.Release() // the reaper reaps it
	h, err := proc.Open(pid)  // it cannot have been reaped yet: the reaper reaps it once it ends
	if err != nil {
		w.Close()
		return nil, err
	}
	return &witness{h: h, pipe: w}, nil
}

// alive reports whether the witness still runs.
func (w *witness) alive() bool {
	return w != nil && w.h.Signal(0) == nil
}

// heard returns the test of whether the supervisor's stop signal sig reached a process
// in the supervisor's own group too: sig is INT or QUIT and was sent to the whole group,
// as the witness shows. Such a process had it once; many programs take a second Ctrl-C
// for "quit now, skip the cleanup". Otherwise, and without a witness (none could start,
// or it was SIGKILLed), the test reports false for every pid, and the signal is passed
// on: a stop signal lost is worse than one had twice.
func (w *witness) heard(sig syscall.Signal) func(pid int) bool {
	never := func(int) bool { return false }
	if !w.alive() || (sig != syscall.SIGINT && sig != syscall.SIGQUIT) {
		return never
	}
	group := unix.Getpgrp()
	inGroup := func(pid int) bool {
		pg, err := unix.Getpgid(pid)
		return err == nil && pg == group
	}
	bit := uint64(1) << (uint(sig) - 1)
	for deadline := time.Now().Add(witnessWait); ; {
		pending, err := proc.SignalMask(proc.StatusPath(w.h.PID()), "ShdPnd")
		if err != nil || !w.alive() { // read of a pid that is no longer the witness's
			return never
		}
		if pending&bit != 0 {
			return inGroup
		}
		if time.Now().After(deadline) {
			return never
		}
		time.Sleep(time.Millisecond) // a condition polled with a deadline
	}
}

// pids is the witness's pid while it runs, for the kills of the instance to spare; none
// without one.
func (w *witness) pids() []int {
	if !w.alive() {
		return nil
	}
	return []int{w.h.PID()}
}

// stop ends the witness and waits, a moment at most, until it is gone (the reaper reaps
// it).
func (w *witness) stop() {
	if w == nil {
		return
	}
	_ = w.pipe.Close()
	_ = w.h.Signal(syscall.SIGKILL)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = w.h.Wait(ctx)
	_ = w.h.Close()
}
