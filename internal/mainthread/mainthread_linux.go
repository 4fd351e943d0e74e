package mainthread

import (
	"errors"
	"fmt"
	"runtime"

	"github.com/daemonkit/daemonkit/internal/proc"
	"golang.org/x/sys/unix"
)

// ErrBlocked means the main thread, whose signal mask /proc/PID/status shows, blocks signals
// and was too busy for a goroutine to be placed on it to clear them.
var ErrBlocked = errors.New("could not run on the main thread, which blocks signals")

// maxThreadHunt bounds how many threads Run pins while looking for the main one.
const maxThreadHunt = 16

// Run runs f on the main thread (the one whose thread id is the pid) with the
// goroutine locked to it, so that what f does to the calling thread's signal mask is what
// /proc/PID/status shows, and so that the thread os/signal starts on the first Notify,
// which blocks most signals for good, is not the main one. If it cannot get there within
// maxThreadHunt threads (it is busy: Run was called from another goroutine), f runs where
// it is, and Run returns false only if the main thread does block signals.
func Run(f func()) bool {
	runtime.LockOSThread()
	if unix.Gettid() == unix.Getpid() {
		f()
		runtime.UnlockOSThread()
		return true
	}
	runtime.UnlockOSThread()

	// Pin fresh goroutines to threads, holding every wrong one, until one lands on the
	// main thread: each held thread is one the scheduler can no longer offer.
	release := make(chan struct{})
	defer close(release)
	for range maxThreadHunt {
		found := make(chan bool, 1)
		go func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			if unix.Gettid() == unix.Getpid() {
				f()
				found <- true
				return
			}
			found <- false
			<-release
		}()
		if <-found {
			return true
		}
	}
	f()
	blocked, err := proc.SignalMask(fmt.Sprintf("/proc/self/task/%d/status", unix.Getpid()), "SigBlk")
	return err == nil && blocked == 0
}
