package supervisor

import (
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/daemonkit/daemonkit/internal/proc"
)

// witness is a process in the supervisor's process group that takes neither INT nor
// QUIT: cat, started with both blocked, reading a pipe the supervisor holds (when the
// supervisor is gone, cat reads its end and ends). A signal sent to the whole group (the
// terminal's Ctrl-C or Ctrl-\, kill -INT -PGID) reaches it too, and stays pending there,
// where /proc shows it; one sent to the supervisor alone (stop --signal INT, docker stop
// with STOPSIGNAL SIGINT) does not. A foreground supervisor with a terminal has one.
type witness struct {
	pid  int
	pipe *os.File // the supervisor's end
}

// witnessWait bounds how long heard looks for a signal pending in the witness: a signal
// sent to a group is queued to every member in one call, before the supervisor runs.
const witnessWait = 20 * time.Millisecond

// startWitness starts the witness; an error (no cat in PATH) leaves the supervisor
// without one, passing INT and QUIT on as it always does.
func startWitness() (*witness, error) {
	cat, err := exec.LookPath("cat")
	if err != nil {
		return nil, err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	// The process forked from this thread starts with its signal mask: INT and QUIT
	// blocked, which cat keeps.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var set, old unix.Sigset_t
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGQUIT} {
		set.Val[(sig-1)/64] |= 1 << ((sig - 1) % 64)
	}
	if err := unix.PthreadSigmask(unix.SIG_BLOCK, &set, &old); err != nil {
		w.Close()
		return nil, err
	}
	cmd := exec.Command(cat)
	cmd.Stdin, cmd.Env = r, []string{} // no mark of the instance: nothing of its run
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	err = cmd.Start()
	_ = unix.PthreadSigmask(unix.SIG_SETMASK, &old, nil)
	if err != nil {
		w.Close()
		return nil, err
	}
	pid := cmd.Process.Pid
	_ = cmd.Process.Release() // the reaper reaps it
	return &witness{pid: pid, pipe: w}, nil
}

// heard returns the test of whether the supervisor's stop signal sig reached a process
// in the supervisor's own group too: sig is INT or QUIT and was sent to the whole group,
// as the witness shows (see witness). Such a process had it once; many programs take a
// second Ctrl-C for "quit now, skip the cleanup". Otherwise it reports false for every
// pid, and the signal is passed on.
func (w *witness) heard(sig syscall.Signal) func(pid int) bool {
	never := func(int) bool { return false }
	if w == nil || (sig != syscall.SIGINT && sig != syscall.SIGQUIT) {
		return never
	}
	bit := uint64(1) << (uint(sig) - 1)
	for deadline := time.Now().Add(witnessWait); ; {
		pending, err := proc.SignalMask(proc.StatusPath(w.pid), "ShdPnd")
		if err != nil {
			return never
		}
		if pending&bit != 0 {
			break
		}
		if time.Now().After(deadline) {
			return never
		}
		time.Sleep(time.Millisecond) // a condition polled with a deadline
	}
	group := unix.Getpgrp()
	return func(pid int) bool {
		pg, err := unix.Getpgid(pid)
		return err == nil && pg == group
	}
}

// pids is the witness's pid, for the kills of the instance to spare; none without one.
func (w *witness) pids() []int {
	if w == nil {
		return nil
	}
	return []int{w.pid}
}

// stop ends the witness (the reaper reaps it).
func (w *witness) stop() {
	if w == nil {
		return
	}
	_ = w.pipe.Close()
	_ = syscall.Kill(w.pid, syscall.SIGKILL)
}
