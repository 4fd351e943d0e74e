// Package proc gives safe handles on processes that are not necessarily children of the
// caller: whether a pid names a live process, and a handle that signals and waits for
// exactly the process it was opened on.
//
// A zombie is never running here: where PID 1 does not reap orphans, a dead daemon stays a
// zombie for ever, and it must count as gone.
//
// On Linux a Process is a pidfd: Signal can never reach a process that reused the pid, and
// Wait wakes up the moment the process exits, with no polling. Elsewhere a Process only
// remembers the pid: Signal uses kill(2), and Wait polls Running with a short back-off;
// darwin detects zombies through sysctl, other systems cannot and count a zombie as running
// until it is reaped. A Linux kernel or sandbox that refuses pidfd_open (ENOSYS, EPERM) gets
// the same fallback, without the protection against pid reuse.
package proc

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// ErrGone means the process has exited, is a zombie, or never existed.
var ErrGone = errors.New("process is gone")

// Process is a handle on one process, made by Open. Its methods are safe for concurrent
// use. After Close, Signal and Wait return an error wrapping os.ErrClosed instead of touching
// a descriptor that may have been reused; a Wait already in progress is not disturbed.
type Process struct {
	pid int
	h   handle // per system: a pidfd on Linux, only a closed flag elsewhere
}

// Running reports whether pid names a live process; a zombie is not running. An error
// means it cannot tell (an invalid pid, or the system would not say).
func Running(pid int) (bool, error) {
	if err := checkPID(pid); err != nil {
		return false, err
	}
	return running(pid)
}

// Open gets a handle on the process pid. It returns an error wrapping ErrGone if there is
// no such process or it is a zombie. On Linux the handle refers to that very process for
// its whole life, even if the pid is later reused.
func Open(pid int) (*Process, error) {
	if err := checkPID(pid); err != nil {
		return nil, err
	}
	p, err := open(pid)
	if errors.Is(err, ErrGone) {
		return nil, fmt.Errorf("open pid %d: %w", pid, err)
	}
	return p, err
}

// PID returns the pid the handle was opened on.
func (p *Process) PID() int { return p.pid }

// Signal sends sig to the process (sig 0 only checks that it is alive and may be
// signalled). It returns an error wrapping ErrGone if the process has exited or is a
// zombie, and one wrapping os.ErrPermission (naming the pid) if the caller may not signal
// it. On Linux it can never reach another process that reused the pid.
func (p *Process) Signal(sig syscall.Signal) error {
	err := p.h.signal(p.pid, sig)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, os.ErrPermission):
		return fmt.Errorf("not permitted to send %s to pid %d: %w", sigName(sig), p.pid, err)
	default:
		return fmt.Errorf("send %s to pid %d: %w", sigName(sig), p.pid, err)
	}
}

// Wait returns nil as soon as the process has exited (a zombie counts as exited), or
// ctx.Err() if ctx ends first. If both hold, it returns nil: an exited process is never
// reported as alive.
func (p *Process) Wait(ctx context.Context) error {
	err := p.h.wait(ctx, p.pid)
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err // ctx.Err() itself, as documented
	}
	return fmt.Errorf("wait for pid %d: %w", p.pid, err)
}

// ExitStatus is how the process ended, once it has been reaped, by whichever parent, where
// the system keeps that for its handle (a pidfd's PIDFD_INFO_EXIT, Linux 6.15 and later);
// ok is false while it runs or is a zombie (its /proc stat says then: Stat.ExitCode),
// where the system does not keep it, and after Close.
func (p *Process) ExitStatus() (ws syscall.WaitStatus, ok bool) { return p.h.exitStatus() }

// AwaitReaped waits, up to timeout, until the process, which has ended, has been reaped by
// its parent (so that ExitStatus may know its status), and reports whether it has. Where
// that cannot be seen it reports false: at once without a pidfd (other systems, a kernel
// before 5.3), after Close, and once timeout has passed on Linux before 6.9.
func (p *Process) AwaitReaped(timeout time.Duration) bool { return p.h.awaitReaped(p.pid, timeout) }

// Close releases the handle (the pidfd on Linux). It is safe to call more than once.
func (p *Process) Close() error { return p.h.close() }

func checkPID(pid int) error {
	if pid < 1 {
		return fmt.Errorf("invalid pid %d", pid)
	}
	return nil
}

// sigName names sig for messages: "SIGTERM" rather than "terminated".
func sigName(sig syscall.Signal) string {
	if name := unix.SignalName(sig); name != "" {
		return name
	}
	return fmt.Sprintf("signal %d", int(sig))
}

// ErrCannotTell is Halted's error where a process's threads cannot be read: no /proc
// mounted, hidepid, another system.
var ErrCannotTell = errors.New("its threads cannot be read")

// ErrBlockedUnknown is SignalAction's error for a signal that every thread of a process
// blocks, where whether a signalfd takes it cannot be read: sent, it may end the process
// (a shell blocks every signal for a moment), or be taken (sd-event's way).
var ErrBlockedUnknown = errors.New("it blocks the signal, and whether a signalfd takes it cannot be read (its descriptors need CAP_SYS_PTRACE, or its own user)")

// Action is what a process does with a signal (SignalAction).
type Action int

// The actions a process may take for a signal.
const (
	Default Action = iota + 1 // the signal's default action: for most, the process ends
	Ignored                   // SIG_IGN: nothing happens
	Caught                    // a handler runs
)

// DescendsFrom reports whether pid is ancestor or runs below it: its chain of parents,
// read from its state, reaches ancestor. Where a process's state cannot be read (off
// Linux, or pid is gone), it reports false: a caller that acts on pid only if it descends
// acts on nothing it cannot prove.
func DescendsFrom(pid, ancestor int) bool {
	for range 256 { // deeper than any real tree; a loop in a racing read ends here
		if pid == ancestor {
			return true
		}
		if pid <= 1 {
			return false
		}
		st, err := ReadStat(pid)
		if err != nil {
			return false
		}
		pid = st.PPID
	}
	return false
}
