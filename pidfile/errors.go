package pidfile

import (
	"errors"
	"fmt"
)

// ErrLocked is matched (errors.Is) by every *LockedError: another process holds the lock.
var ErrLocked = errors.New("pidfile is locked")

// ErrNotRegular means the path names a symbolic link, a directory, a FIFO, a device or a
// socket; the error's message says which. Such a path is never opened for writing, never
// truncated and never removed.
var ErrNotRegular = errors.New("not a regular file")

// ErrBadContent means the content is not a pid in decimal between 2 and the system's
// pid_max, optionally followed by one newline; the error's message quotes what was found.
var ErrBadContent = errors.New("invalid pidfile content")

// ErrNotOwner means the pidfile is owned by a user other than the effective user: Acquire
// (and so RemoveStale) refuses to truncate or remove another user's file.
var ErrNotOwner = errors.New("pidfile owned by another user")

// ErrHardLink means the pidfile has more than one hard link, so writing it would change
// another name's content too. Acquire, RemoveStale and Probe refuse it.
var ErrHardLink = errors.New("pidfile has other hard links")

// LockedError reports that another process holds the pidfile's lock. PID is the holder's
// pid as the kernel reports it (F_GETLK), never below 2; it is 0 when the kernel cannot name
// the holder (a holder in another pid namespace, or an open-file-description lock).
type LockedError struct {
	Path string
	PID  int
}

// Error says which file is locked and by which pid.
func (e *LockedError) Error() string {
	if e.PID < 2 {
		return fmt.Sprintf("pidfile %q is locked by a process whose pid cannot be determined", e.Path)
	}
	return fmt.Sprintf("pidfile %q is locked by pid %d", e.Path, e.PID)
}

// Is makes errors.Is(err, ErrLocked) true for a *LockedError.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// errUnstable is returned when the path kept changing under Acquire.
var errUnstable = errors.New("the file kept being replaced or its lock kept changing hands; gave up")
