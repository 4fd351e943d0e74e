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
// looked at, is gone, and Now runs in its place; the same pid, given again (Reused).
// It wraps ErrReplaced.
type ReplacedError struct{ Was, Now int }

// Reused reports whether the daemon in the place of the one looked at has its pid: the
// kernel gave that pid again, and only the start time tells the two apart.
func (e *ReplacedError) Reused() bool { return e.Was == e.Now }

func (e *ReplacedError) Error() string {
	if e.Reused() {
		return fmt.Sprintf("pid %d, the daemon looked at, is gone: %v, under the same pid (started since)", e.Was, ErrReplaced)
	}
	return fmt.Sprintf("pid %d, the daemon looked at, is gone: %v (pid %d)", e.Was, ErrReplaced, e.Now)
}

func (e *ReplacedError) Unwrap() error { return ErrReplaced }

// SignalDaemon is Signal to the daemon pid that started at start alone (Status.PID and
// Status.StartTime): the one a look before (Inspect) found, and on which the caller judged
// that sig may be sent (reload's checks, its --reload-check, the signal its record asks
// for). What Signal would signal is proven first, as Signal proves it; when that is
// another daemon by then, another pid or the same pid given again to a process started
// since (told by its start time, unless start is 0: where none could be read), nothing is
// signalled and the error wraps ErrReplaced (a *ReplacedError); when it is none,
// ErrNotRunning.
func SignalDaemon(p Paths, pid int, start uint64, sig syscall.Signal) (int, error) {
	if pid < 1 {
		return 0, fmt.Errorf("signal %s: pid %d: %w", p.Name, pid, ErrNotRunning)
	}
	return signalDaemon(p, pid, start, sig)
}
