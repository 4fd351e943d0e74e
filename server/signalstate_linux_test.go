package server_test

import (
	"fmt"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/daemonkit/daemonkit/internal/testutil"
	"golang.org/x/sys/unix"
)

// TestSignalState: whatever the daemon inherited at exec, no signal is blocked on its main
// thread and none is ignored, except SIGHUP under IgnoreHUP and those the program ignored
// itself (signal.Ignore in an init function), which do not kill it; SIGINT stops it even
// when it was started with SIGINT ignored, and an ignored SIGHUP neither kills nor reopens.
func TestSignalState(t *testing.T) {
	for _, tc := range []struct {
		name      string
		wrap      bool
		ignore    []syscall.Signal
		block     []syscall.Signal
		own       []syscall.Signal
		ignoreHUP bool
	}{
		{name: "plain"},
		{name: "inherited", wrap: true,
			ignore: []syscall.Signal{syscall.SIGINT, syscall.SIGHUP, syscall.SIGTSTP, syscall.SIGTTOU, syscall.SIGUSR2, sigRTMin},
			block:  []syscall.Signal{syscall.SIGTERM, syscall.SIGUSR2, syscall.SIGWINCH, syscall.SIGCONT, syscall.SIGCHLD}},
		{name: "nohup", wrap: true, ignoreHUP: true,
			ignore: []syscall.Signal{syscall.SIGHUP, syscall.SIGINT},
			block:  []syscall.Signal{syscall.SIGWINCH}},
		{name: "own", wrap: true,
			ignore: []syscall.Signal{syscall.SIGTSTP},
			own:    []syscall.Signal{syscall.SIGUSR2, syscall.SIGTTIN}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := testOptions(t)
			opts.IgnoreHUP = tc.ignoreHUP
			d := startDaemon(t, helperCfg{Options: opts, Ignore: tc.ignore, Block: tc.block, Own: tc.own}, tc.wrap)
			d.ready(t)

			wantIgn := uint64(0)
			if tc.ignoreHUP {
				wantIgn = sigBit(syscall.SIGHUP)
			}
			for _, sig := range tc.own {
				wantIgn |= sigBit(sig)
			}
			if ign := procMask(t, d.pid, "SigIgn"); ign != wantIgn {
				t.Errorf("SigIgn = %#x, want %#x", ign, wantIgn)
			}
			// Polled: the runtime blocks all signals for an instant while it makes a thread.
			testutil.WaitFor(t, "SigBlk 0", func() bool { return procMask(t, d.pid, "SigBlk") == 0 })
			if strings.Contains(d.log(), "signal set-up incomplete") {
				t.Errorf("log:\n%s", d.log())
			}

			if tc.ignoreHUP {
				d.signal(t, syscall.SIGHUP) // ignored by the kernel: dropped at once
				d.signal(t, syscall.SIGUSR1)
				testutil.WaitFor(t, "the SIGUSR1 reopen", func() bool { return strings.Contains(d.log(), "reopened log") })
				if !d.alive() || strings.Count(d.log(), "reopened log") != 1 || strings.Contains(d.log(), "hangup") {
					t.Errorf("SIGHUP was not ignored; log:\n%s", d.log())
				}
			} else {
				d.signal(t, syscall.SIGHUP)
				testutil.WaitFor(t, "the SIGHUP reopen", func() bool { return strings.Contains(d.log(), "reopened log: signal=SIGHUP") })
			}

			for _, sig := range tc.own { // ignored: dropped by the kernel, it runs on
				d.signal(t, sig)
			}
			d.signal(t, syscall.SIGINT)
			if code := d.wait(t); code != 0 {
				t.Errorf("exit %d after SIGINT; log:\n%s", code, d.log())
			}
			if exists(t, opts.PIDFile) {
				t.Error("pidfile left behind")
			}
		})
	}
}

// blockSignals blocks sigs on the calling thread.
func blockSignals(sigs []syscall.Signal) error {
	var set unix.Sigset_t
	for _, sig := range sigs {
		set.Val[(sig-1)/64] |= 1 << (uint(sig-1) % 64)
	}
	return unix.PthreadSigmask(unix.SIG_BLOCK, &set, nil)
}

// ignoreBeforeExec ignores sig, for the exec that follows, as a shell's trap ” SIG does:
// by rt_sigaction itself for 32 and over, which signal.Ignore leaves handled by the runtime.
func ignoreBeforeExec(sig syscall.Signal) error {
	if sig < 32 {
		signal.Ignore(sig)
		return nil
	}
	// The kernel's struct sigaction: the handler (SIG_IGN), then flags, restorer (amd64) and
	// mask, all 0, which reads the same without a restorer (arm64).
	act := [4]uint64{1}
	if _, _, errno := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&act)), 0, 8, 0, 0); errno != 0 {
		return fmt.Errorf("rt_sigaction %d: %w", sig, errno)
	}
	return nil
}

// procMask reads a signal mask line (SigBlk, SigIgn, ...) of pid's main thread.
func procMask(t *testing.T, pid int, field string) uint64 {
	t.Helper()
	mask, err := proc.SignalMask(proc.StatusPath(pid), field)
	if err != nil {
		t.Fatal(err)
	}
	return mask
}

// sigBit is sig's bit in a /proc signal mask.
func sigBit(sig syscall.Signal) uint64 { return 1 << (uint(sig) - 1) }

// alive reports whether the daemon has not exited.
func (d *daemon) alive() bool {
	select {
	case <-d.exited:
		return false
	default:
		return true
	}
}

// sigRTMin is glibc's SIGRTMIN, 34: one of the signals the Go runtime leaves ignored when
// exec did, so that signal.Ignored reports it though no program asked (runtimeKeepsIgnored).
const sigRTMin = syscall.Signal(34)
