package cli

import (
	"errors"
	"fmt"

	"github.com/daemonkit/daemonkit/handshake"
)

// ErrAlreadyRunning is matched (errors.Is) by the error of start, and of restart, which
// starts, when the instance runs already: the command's exit code is 3, and nothing was
// started or changed. Where a held pidfile said so, the error matches pidfile.ErrLocked
// too. A Kong program tells it from kctx.Run()'s error; Run and Main give exit code 3.
var ErrAlreadyRunning = errors.New("already running")

// ErrServeFailed is matched (errors.Is) by the error of start, and of restart, when the
// work failed before it was ready: Config.Serve returned an error or panicked (or returned
// nil without calling ready); for start -- CMD, the program ended. The exit code is 1.
// In the foreground the error also unwraps to Serve's own; with -d, Serve ran in the
// daemon, and only its message comes back. It is launcher.ErrWorkFailed.
var ErrServeFailed = handshake.ErrWorkFailed

// runningError is start's error for an instance already running: msg says which, and
// how it was found; cause is what found it (a *pidfile.LockedError), if anything did.
type runningError struct {
	msg   string
	cause error
}

func (e *runningError) Error() string        { return e.msg }
func (e *runningError) Unwrap() error        { return e.cause }
func (e *runningError) Is(target error) bool { return target == ErrAlreadyRunning }

// alreadyRunning is start's exit 3 for an instance already running, saying format's
// message; it matches ErrAlreadyRunning, and cause (nil: none).
func alreadyRunning(cause error, format string, args ...any) error {
	return withCode(exitAlreadyUp, &runningError{msg: fmt.Sprintf(format, args...), cause: cause})
}
