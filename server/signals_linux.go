package server

import (
	"fmt"
	"math/bits"
	"os"
	"os/signal"
	"reflect"
	"runtime"
	"syscall"
	"time"
	"unsafe"

	"github.com/daemonkit/daemonkit/internal/mainthread"
	"github.com/daemonkit/daemonkit/internal/proc"
	"golang.org/x/sys/unix"
)

// clearInherited unblocks every signal on the calling thread and puts back the default
// action of every signal ignored at exec (Go keeps some of them ignored), except SIGHUP if
// ignoreHUP and those the program ignores itself: a signal.Ignore of its own (in an init
// function, before Main or Init) is its choice, and undoing it behind os/signal's back
// would let that signal kill the daemon without a word. signal.Ignored tells them apart
// for every signal but those the runtime itself leaves ignored when exec did (SIGHUP and
// SIGINT, which the daemon catches, or for SIGHUP ignores by ignoreHUP, before this runs;
// and 32 to 34, runtimeKeepsIgnored): for those it reports exec's choice, not the
// program's, which is undone. It returns what it could not do.
func clearInherited(ignoreHUP bool) []error {
	var errs []error
	var none unix.Sigset_t
	if err := unix.PthreadSigmask(unix.SIG_SETMASK, &none, nil); err != nil {
		errs = append(errs, fmt.Errorf("unblock signals: %w", err))
	}
	ignored, err := proc.SignalMask(proc.StatusPath(0), "SigIgn")
	if err != nil {
		return append(errs, fmt.Errorf("read ignored signals: %w", err))
	}
	for sig := unix.Signal(1); sig <= 64; sig++ {
		if ignored&sigBit(sig) == 0 || (ignoreHUP && sig == unix.SIGHUP) || signal.Ignored(sig) && !runtimeKeepsIgnored(sig) {
			continue
		}
		if err := setDefaultAction(sig); err != nil {
			errs = append(errs, fmt.Errorf("stop ignoring signal %d: %w", sig, err))
		}
	}
	return errs
}

// runtimeKeepsIgnored reports whether the Go runtime leaves sig ignored when exec left it
// so, and signal.Ignored then reports it ignored though the program never asked: the
// signals its table marks _SigSetStack on Linux, 32 to 34 (glibc's two internal ones, and
// SIGRTMIN). SIGHUP and SIGINT are kept so too, and dealt with before (see clearInherited).
func runtimeKeepsIgnored(sig unix.Signal) bool { return sig >= 32 && sig <= 34 }

// awaitSignalThread waits, on the main thread still locked, until the thread that os/signal's
// first Notify starts (it blocks every signal but those notified, for good) runs somewhere:
// the goroutine that makes it waits in a run queue, and would lock whichever thread ran it
// next, the main one too once unlocked, which /proc/PID/status would then show blocking
// most signals (seen now and then under load). Sleeping while locked hands this thread's
// processor on, so that goroutine runs on another. It gives up after signalThreadWait, or
// at once if the main thread already has that mask (an earlier Notify put it there).
func awaitSignalThread() {
	end := time.Now().Add(signalThreadWait)
	for try := 0; time.Now().Before(end); try++ {
		tasks, err := os.ReadDir("/proc/self/task")
		if err != nil {
			return
		}
		for _, t := range tasks {
			blocked, err := proc.SignalMask("/proc/self/task/"+t.Name()+"/status", "SigBlk")
			if err == nil && bits.OnesCount64(blocked) >= 32 { // os/signal's: nearly all
				return
			}
		}
		if try < 10 {
			runtime.Gosched() // locked: the processor goes to another thread, which runs it
		} else {
			time.Sleep(time.Millisecond)
		}
	}
}

// signalThreadWait bounds awaitSignalThread: the goroutine runs within microseconds once a
// processor is free.
const signalThreadWait = 200 * time.Millisecond

// ExecUnblocked executes this program again (the same pid, arguments and environment) from
// a thread that blocks no signal, if the process was started with signals blocked (a
// caller that blocked SIGUSR1 or SIGALRM, say, and exec'd us without unblocking them). The
// Go runtime gives every process it forks the signal mask this process was started with,
// whatever a thread's mask is by then, so unblocking them here would not reach a
// supervised program, which would never see its SIGUSR2 or its alarm. The exec starts the
// process again with an empty mask. It returns only when there was nothing to do, or it
// could not (the error says why; the process goes on as it was). Call it first thing,
// before the process has done anything it would then do twice.
//
// A signal already pending stays blocked through the exec, so that it is not delivered
// before the new image can handle it (a stop, caught once the daemon's handlers are in
// place, when it unblocks its main thread as before).
func ExecUnblocked() error {
	status := proc.StatusPath(0) // the main thread's, untouched yet
	blocked, err := proc.SignalMask(status, "SigBlk")
	if err != nil || blocked == 0 {
		return err
	}
	pending, _ := proc.SignalMask(status, "SigPnd")
	shared, _ := proc.SignalMask(status, "ShdPnd")
	keep := blocked & (pending | shared)
	if keep == blocked {
		return nil // all it blocks is pending: the exec would change nothing
	}
	// From the main thread, when it can: a parent-death signal that the caller set (a
	// container runtime does) is that thread's alone, and an exec keeps only the exec'ing
	// thread's. The mask cleared is the exec'ing thread's, whichever it is.
	mainthread.Run(func() {
		runtime.LockOSThread() // on the main thread already; elsewhere, the same thread for both calls
		defer runtime.UnlockOSThread()
		mask := sigset(keep)
		if err = unix.PthreadSigmask(unix.SIG_SETMASK, &mask, nil); err != nil {
			err = fmt.Errorf("unblock signals: %w", err)
			return
		}
		err = syscall.Exec("/proc/self/exe", os.Args, os.Environ())
		err = fmt.Errorf("execute itself again without the signals it was started with blocked (%#x): %w", blocked, err)
	})
	return err
}

// sigset is the signal set of bits, a /proc/PID/status mask (signal n at bit n-1), in the
// kernel's words, whatever their size.
func sigset(bits uint64) unix.Sigset_t {
	var s unix.Sigset_t
	words := reflect.ValueOf(&s.Val).Elem()
	size := uint(words.Type().Elem().Bits())
	for n := uint(0); n < 64; n++ {
		if bits&(1<<n) != 0 {
			w := words.Index(int(n / size))
			w.SetUint(w.Uint() | 1<<(n%size))
		}
	}
	return s
}

// sigBit is sig's bit in a /proc/PID/status signal mask.
func sigBit(sig unix.Signal) uint64 { return 1 << (uint(sig) - 1) }

// setDefaultAction gives sig its default action. Only signals that are ignored get here,
// so the Go runtime has no handler on them to lose. An all-zero kernel sigaction is
// SIG_DFL with no flags and an empty mask on every architecture; 8 is the kernel's sigset
// size everywhere but mips, where the call fails and the signal stays ignored.
func setDefaultAction(sig unix.Signal) error {
	var act [16]uint64 // larger than any kernel struct sigaction
	_, _, errno := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&act)), 0, 8, 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}
