package instance

import (
	"errors"
	"fmt"
	"syscall"
)

// ErrReplaced means the instance's daemon is no longer the one a caller looked at: that
// one is gone, and another runs in its place (a restart, a stop and a start, meanwhile).
var ErrReplaced = errors.New("another daemon runs in its place")

// ReplacedError is the error of SignalDaemon when the daemon was replaced: Was, the pid
// looked at, is gone, and Now runs in its place. It wraps ErrReplaced.
type ReplacedError struct{ Was, Now int }

func (e *ReplacedError) Error() string {
	return fmt.Sprintf("pid %d, the daemon looked at, is gone: %v (pid %d)", e.Was, ErrReplaced, e.Now)
}

func (e *ReplacedError) Unwrap() error { return ErrReplaced }

// SignalDaemon is Signal to the daemon pid alone: the one a look before (Inspect) found,
// and on which the caller judged that sig may be sent (reload's checks, its --reload-check,
// the signal its record asks for). What Signal would signal is proven first, as Signal
// proves it; when that is another daemon by then, nothing is signalled and the error
// wraps ErrReplaced (a *ReplacedError); when it is none, ErrNotRunning.
func SignalDaemon(p Paths, pid int, sig syscall.Signal) (int, error) {
	if pid < 1 {
		return 0, fmt.Errorf("signal %s: pid %d: %w", p.Name, pid, ErrNotRunning)
	}
	return signalDaemon(p, pid, sig)
}
