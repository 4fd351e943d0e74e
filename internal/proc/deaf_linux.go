//go:build linux

package proc

import (
	"runtime"

	"golang.org/x/sys/unix"
)

// GoDeaf runs f on a goroutine of its own, locked for its life to a thread that blocks
// every signal (but KILL and STOP, which no thread can), never the main thread, whose mask
// is the process's own (/proc/PID/status, what an exec from it keeps). It is for a
// goroutine that may block in the kernel in uninterruptible sleep (a write to a file
// system that froze): the kernel may pick such a thread to take a signal sent to the
// process, and a signal taken by a thread that sleeps so waits with it, a stop held up for
// as long as the freeze lasts. A thread that blocks them is never picked. When f returns,
// the thread gets its mask back and goes back to the runtime, to run what comes next:
// ending it would cost a clone at every call (every record write of a daemon), and, where
// the user's processes and threads are at their limit (ulimit -u), the runtime aborts the
// process when a clone fails.
func GoDeaf(f func()) {
	go func() {
		runtime.LockOSThread()
		if unix.Gettid() == unix.Getpid() {
			// The main thread: held (no other goroutine runs on it meanwhile) until f's
			// goroutine has locked a thread of its own, which cannot be this one.
			locked := make(chan struct{})
			go func() {
				runtime.LockOSThread()
				close(locked)
				deafFor(f)
			}()
			<-locked
			runtime.UnlockOSThread()
			return
		}
		deafFor(f)
	}()
}

// deafFor runs f with every signal blocked on the calling thread, locked to it, then puts
// the thread's mask back and unlocks it. If the mask cannot be put back, the thread stays
// locked, and ends with its goroutine, as the runtime ends a locked thread.
func deafFor(f func()) {
	var all, was unix.Sigset_t
	for i := range all.Val {
		all.Val[i] = ^uint64(0)
	}
	if err := unix.PthreadSigmask(unix.SIG_BLOCK, &all, &was); err != nil {
		f() // fails only for a bad argument; the thread ends with f's goroutine
		return
	}
	f()
	if unix.PthreadSigmask(unix.SIG_SETMASK, &was, nil) == nil {
		runtime.UnlockOSThread()
	}
}
