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
// as long as the freeze lasts. A thread that blocks them is never picked. The thread ends
// when f returns.
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
				deafen()
				f()
			}()
			<-locked
			runtime.UnlockOSThread()
			return
		}
		deafen()
		f()
	}()
}

// deafen blocks every signal on the calling thread.
func deafen() {
	var all unix.Sigset_t
	for i := range all.Val {
		all.Val[i] = ^uint64(0)
	}
	_ = unix.PthreadSigmask(unix.SIG_BLOCK, &all, nil) // fails only for a bad argument
}
