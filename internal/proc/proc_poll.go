package proc

import (
	"context"
	"errors"
	"time"

	"golang.org/x/sys/unix"
)

// Polling fallback, for systems without pidfds (and Linux kernels or sandboxes that refuse
// pidfd_open): it works on the pid alone, so unlike a pidfd it cannot tell a process from
// one that reused its pid.

const (
	pollFirst = time.Millisecond      // first back-off of pollWait
	pollMax   = 50 * time.Millisecond // longest back-off of pollWait
)

// killAlive reports whether pid exists according to kill(2), which counts a zombie as alive.
func killAlive(pid int) (bool, error) {
	switch err := unix.Kill(pid, 0); {
	case err == nil, errors.Is(err, unix.EPERM):
		return true, nil
	case errors.Is(err, unix.ESRCH):
		return false, nil
	default:
		return false, err
	}
}

// killSignal sends sig to pid with kill(2), or returns ErrGone if pid is not running.
func killSignal(pid int, sig unix.Signal) error {
	alive, err := running(pid)
	if err != nil {
		return err
	}
	if !alive {
		return ErrGone
	}
	if err := unix.Kill(pid, sig); err != nil {
		if errors.Is(err, unix.ESRCH) {
			return ErrGone
		}
		return err
	}
	return nil
}

// pollWait polls running(pid) with a back-off from pollFirst doubling to pollMax until pid
// is not running (nil) or ctx ends (ctx.Err(), unless pid is found gone at that moment).
func pollWait(ctx context.Context, pid int) error {
	delay := pollFirst
	timer := time.NewTimer(delay)
	defer timer.Stop()
	for {
		alive, err := running(pid)
		if err != nil {
			return err
		}
		if !alive {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		timer.Reset(delay)
		select {
		case <-ctx.Done(): // look once more: an exited process wins over the ctx
		case <-timer.C:
		}
		delay = min(2*delay, pollMax)
	}
}
