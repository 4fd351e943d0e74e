package server

import (
	"fmt"
	"unsafe"

	"github.com/daemonkit/daemonkit/internal/proc"
	"golang.org/x/sys/unix"
)

// clearInherited unblocks every signal on the calling thread and puts back the default
// action of every signal ignored at exec (Go keeps some of them ignored), except SIGHUP if
// ignoreHUP. It returns what it could not do.
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
		if ignored&sigBit(sig) == 0 || (ignoreHUP && sig == unix.SIGHUP) {
			continue
		}
		if err := setDefaultAction(sig); err != nil {
			errs = append(errs, fmt.Errorf("stop ignoring signal %d: %w", sig, err))
		}
	}
	return errs
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
