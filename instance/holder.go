package instance

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/daemonkit/daemonkit/pidfile"
)

// maxAttempts bounds how many times the lock holder may change (or vanish) under Stop or
// Signal before they give up rather than loop.
const maxAttempts = 10

// errUnsettled means the pidfile's holder kept changing while we looked.
var errUnsettled = errors.New("the pidfile's lock holder kept changing; gave up")

// openHolder returns a handle on the process that holds the lock of the pidfile at path,
// proven to be that holder; or, when nobody holds it, a nil handle and the Status (Absent or
// Stale). The content of the file is never used as a pid.
func openHolder(p Paths) (*proc.Process, pidfile.Status, error) {
	path := p.PIDFile
	for range maxAttempts {
		st, err := pidfile.Probe(path)
		if err != nil || st.State != pidfile.Running {
			return nil, st, err
		}
		if st.PID == 1 && !initProven(p) {
			return nil, st, errUnprovenInit(path)
		}
		if st.PID == os.Getpid() {
			return nil, st, fmt.Errorf("pidfile %q is held by this very process (pid %d)", path, st.PID)
		}
		if st.PID != 1 && !holderProven(p, st) {
			again, err := awaitProven(p, st)
			if err != nil || again.State != pidfile.Running {
				return nil, again, err
			}
			if again.PID != st.PID {
				continue // another holder: prove that one
			}
			st = again
		}
		h, err := proc.Open(st.PID)
		if errors.Is(err, proc.ErrGone) {
			continue // exited since Probe named it: look again
		}
		if err != nil {
			return nil, st, fmt.Errorf("open lock holder pid %d: %w", st.PID, err)
		}
		ok, err := isHolder(path, h)
		if err != nil || !ok {
			_ = h.Close() // never used; nothing to report
			if err != nil {
				return nil, st, err
			}
			continue
		}
		return h, st, nil
	}
	return nil, pidfile.Status{}, errUnsettled
}

// unprovenWait is how long a signal waits, at most, for a pidfile's lock holder that
// nothing proves the daemon yet (holderProven) to prove itself: a daemon writes its pid as
// it takes the lock, within microseconds (milliseconds on a loaded machine).
const unprovenWait = time.Second

// awaitProven waits, up to unprovenWait, for the holder of p's pidfile that st names,
// which nothing proves its daemon yet, to prove itself or to let go, and returns the
// pidfile's status then: errUnprovenHolder if the same holder still holds it, unproven.
func awaitProven(p Paths, st pidfile.Status) (pidfile.Status, error) {
	end := time.Now().Add(unprovenWait)
	for backoff := time.Millisecond; ; backoff = min(2*backoff, 20*time.Millisecond) {
		time.Sleep(backoff) // a polling step: a pid written in a file wakes nobody
		again, err := pidfile.Probe(p.PIDFile)
		if err != nil || again.State != pidfile.Running || again.PID != st.PID || holderProven(p, again) {
			return again, err
		}
		st = again
		if time.Now().After(end) { // after a look: a caller held up past end still looks once
			return st, errUnprovenHolder(p, st)
		}
	}
}

// isHolder proves that h is the process holding the lock of path. h was opened on a pid
// that Probe named earlier, and that pid may have been reused in between; so it asks again
// who holds the lock, then checks h is still alive. Alive after the second look, h's process
// owned its pid at that moment, so it is the holder that look named.
func isHolder(path string, h *proc.Process) (bool, error) {
	st, err := pidfile.Probe(path)
	if err != nil {
		return false, err
	}
	if st.State != pidfile.Running || st.PID != h.PID() {
		return false, nil
	}
	switch err := h.Signal(0); {
	case err == nil:
		return true, nil
	case errors.Is(err, proc.ErrGone):
		return false, nil
	case errors.Is(err, os.ErrPermission):
		return false, notPermitted(h.PID())
	default:
		return false, err
	}
}

// notPermitted is the error for a daemon the caller may not signal: "signal pid N:
// permission denied (run as its owner or as root)", wrapping os.ErrPermission.
func notPermitted(pid int) error { return permissionError{pid} }

type permissionError struct{ pid int }

func (e permissionError) Error() string {
	return fmt.Sprintf("signal pid %d: %v (run as its owner or as root)", e.pid, os.ErrPermission)
}

func (e permissionError) Unwrap() error { return os.ErrPermission }

// notRunning describes a pidfile nobody holds, wrapping ErrNotRunning.
func notRunning(path string, st pidfile.Status) error {
	if st.State == pidfile.Stale {
		return fmt.Errorf("%w (stale pidfile %q)", ErrNotRunning, path)
	}
	return fmt.Errorf("%w (no pidfile %q)", ErrNotRunning, path)
}

// Signal sends sig to the daemon holding the lock of p.PIDFile, safely (this is how reload
// is asked for), and returns the pid signalled. It never uses the pid in the file: if
// nobody holds the lock (and no record proves a daemon whose pidfile was lost), the error
// wraps ErrNotRunning and nothing is signalled. A daemon
// the caller may not signal gives an error wrapping os.ErrPermission.
func Signal(p Paths, sig syscall.Signal) (int, error) {
	return signalDaemon(p, 0, 0, sig)
}

// signalDaemon is Signal, to the daemon pid that started at start alone unless pid is 0
// (SignalDaemon).
func signalDaemon(p Paths, pid int, start uint64, sig syscall.Signal) (int, error) {
	h, st, err := openHolder(p)
	if err != nil && !replacedByHand(err) {
		return 0, fmt.Errorf("signal %s: %w", p.Name, err)
	}
	if h == nil {
		h, _ = proven(p) // its pidfile was deleted or replaced by hand
	}
	if h == nil && err != nil {
		return 0, fmt.Errorf("signal %s: %w", p.Name, pidfile.Advise(p.PIDFile, err, pidfileFlag))
	}
	if h == nil {
		return 0, fmt.Errorf("signal %s: %w", p.Name, notRunning(p.PIDFile, st))
	}
	defer h.Close()
	if pid != 0 && h.PID() != pid {
		return 0, fmt.Errorf("signal %s: %w", p.Name, &ReplacedError{Was: pid, Now: h.PID()})
	}
	if pid != 0 && start != 0 {
		// Read after h was opened: a process that has h's pid now, and this start time, is
		// h's, or h's is gone and the signal below reaches nobody.
		switch now := StartTime(pid); {
		case now == 0:
			return 0, fmt.Errorf("signal %s: pid %d exited first: %w", p.Name, pid, ErrNotRunning)
		case now != start: // the pid, reused: another daemon, or any process, in its place
			return 0, fmt.Errorf("signal %s: %w", p.Name, &ReplacedError{Was: pid, Now: pid})
		}
	}
	switch err := h.Signal(sig); {
	case err == nil:
		return h.PID(), nil
	case errors.Is(err, proc.ErrGone):
		return 0, fmt.Errorf("signal %s: pid %d exited first: %w", p.Name, h.PID(), ErrNotRunning)
	case errors.Is(err, os.ErrPermission):
		return 0, fmt.Errorf("signal %s: %w", p.Name, notPermitted(h.PID()))
	default:
		return 0, fmt.Errorf("signal %s: %w", p.Name, err)
	}
}
