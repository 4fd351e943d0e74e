//go:build !linux

package proc

import (
	"context"
	"os"
	"sync/atomic"
	"syscall"
	"time"
)

// handle remembers only whether it was closed: without pidfds, the pid is all there is.
type handle struct {
	closed atomic.Bool
}

// running asks kill(2) whether pid exists (EPERM means it does), then rules out a zombie
// where the system can tell (see zombie).
func running(pid int) (bool, error) {
	alive, err := killAlive(pid)
	if err != nil || !alive {
		return false, err
	}
	return !zombie(pid), nil
}

func open(pid int) (*Process, error) {
	alive, err := running(pid)
	if err != nil {
		return nil, err
	}
	if !alive {
		return nil, ErrGone
	}
	return &Process{pid: pid}, nil
}

func (h *handle) signal(pid int, sig syscall.Signal) error {
	if h.closed.Load() {
		return os.ErrClosed
	}
	return killSignal(pid, sig)
}

func (h *handle) wait(ctx context.Context, pid int) error {
	if h.closed.Load() {
		return os.ErrClosed
	}
	return pollWait(ctx, pid)
}

func (h *handle) exitStatus() (syscall.WaitStatus, bool) { return 0, false }

func (h *handle) awaitReaped(pid int, timeout time.Duration) bool { return false }

func (h *handle) close() error {
	h.closed.Store(true)
	return nil
}
