package pidfile

import (
	"errors"
	"fmt"

	"github.com/daemonkit/daemonkit/internal/filekind"
	"github.com/daemonkit/daemonkit/internal/storage"
	"golang.org/x/sys/unix"
)

// ErrLocked is matched (errors.Is) by every *LockedError: another process holds the lock.
var ErrLocked = errors.New("pidfile is locked")

// ErrEmptyPath means a function was given "" as the pidfile's path: a caller's bug, which
// would otherwise read as "no daemon runs".
var ErrEmptyPath = errors.New("empty pidfile path")

// ErrNotRegular means the path names a symbolic link, a directory, a FIFO, a device or a
// socket; the error's message says which. Such a path is never opened for writing, never
// truncated and never removed.
var ErrNotRegular = errors.New("not a regular file")

// ErrBadContent means the content is not a pid in decimal between 1 and the system's
// pid_max, optionally followed by one newline; the error's message quotes what was found.
// (A daemon's pid is 1 only as its pid namespace's init, a container's PID 1; see ParsePID.)
var ErrBadContent = errors.New("invalid pidfile content")

// ErrNoContent means the pidfile is empty: a daemon's is, for an instant, between its
// creation and the write of its pid (and one killed in that instant leaves it so). It
// comes wrapped with ErrBadContent, so that a reader can tell that instant from damage.
var ErrNoContent = errors.New("empty")

// ErrNotOwner means the pidfile is owned by a user other than the effective user: Acquire,
// Restore and RemoveStale refuse to write or remove another user's file.
var ErrNotOwner = errors.New("pidfile owned by another user")

// ErrHardLink means the pidfile has more than one hard link, so writing it would change
// another name's content too. Acquire, Restore, RemoveStale and Probe refuse it.
var ErrHardLink = errors.New("pidfile has other hard links")

// ErrNotPidfile means the file holds something that does not look like a pidfile: it is
// neither empty, nor what a power loss leaves of a pidfile (only NUL bytes, in a sticky
// file), nor ASCII digits optionally followed by one newline, within 32 bytes. Acquire, Restore and
// RemoveStale refuse such a file before changing anything, with a *NotPidfileError that
// quotes the start of what it holds; Probe still reads it (Status.ContentErr).
var ErrNotPidfile = errors.New("not a pidfile")

// ErrReplaced means the path no longer names the file this process holds: it was removed
// or replaced by hand. (*File).Check reports it; (*File).Restore repairs it.
var ErrReplaced = errors.New("pidfile removed or replaced")

// ErrOverwritten means the file this process holds no longer holds its pid: its content
// was written over by hand. (*File).Check reports it; (*File).Restore writes the pid again.
var ErrOverwritten = errors.New("pidfile's content written over")

// LockedError reports that another process holds the pidfile's lock. PID is the holder's
// pid as the kernel reports it (F_GETLK), never below 2; it is 0 when the kernel cannot name
// the holder (a holder in another pid namespace, or an open-file-description lock).
type LockedError struct {
	Path string
	PID  int
}

// Error says which file is locked and by which pid.
func (e *LockedError) Error() string {
	if e.PID < 1 {
		return fmt.Sprintf("pidfile %q is locked by a process whose pid cannot be determined", e.Path)
	}
	return fmt.Sprintf("pidfile %q is locked by pid %d", e.Path, e.PID)
}

// Is makes errors.Is(err, ErrLocked) true for a *LockedError.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// NotPidfileError is the refusal to overwrite or remove a file that is not a pidfile
// (errors.Is ErrNotPidfile). It names the path itself, so callers return it as it is; a
// caller that uses a pidfile under another name (instance's start lock) may say it in its
// own words from its fields.
type NotPidfileError struct {
	Path    string
	Verb    string // "overwrite" or "remove"
	Content []byte // the start of the content, as read: at most 33 bytes
}

// quoteMax is how much of a refused file's content an error quotes.
const quoteMax = 28

// Error quotes the start of the content and says what to do.
func (e *NotPidfileError) Error() string {
	return fmt.Sprintf("pidfile %q holds %s, which is not a pidfile: refusing to %s it "+
		"(choose another --pidfile, or remove the file yourself if it is yours)", e.Path, e.Quote(), e.Verb)
}

// Quote is the start of the content, quoted, with "..." after it if there is more.
func (e *NotPidfileError) Quote() string {
	q, more := e.Content, ""
	if len(q) > quoteMax {
		q, more = q[:quoteMax], "..."
	}
	return fmt.Sprintf("%q%s", q, more)
}

// Unwrap makes errors.Is(err, ErrNotPidfile) true.
func (e *NotPidfileError) Unwrap() error { return ErrNotPidfile }

// errUnstable is returned when the path kept changing, or its lock stayed busy with no
// daemon to name, for settleTime.
var errUnstable = errors.New("the file kept being replaced, or its lock stayed busy with no holder to name; gave up")

// wrapOp prefixes err with the step that failed.
func wrapOp(step string, err error) error { return fmt.Errorf("%s: %w", step, err) }

// chmodError is err, Fchmod's of fd, marked storage.ErrNoModes if the file system refused
// the mode itself (vfat), so that callers can say that of the directory, and the fix.
func chmodError(fd int, err error) error {
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil {
		return err
	}
	return storage.NoModes(err, int(st.Uid))
}

// pathError names op and path once in err, unless err names the path itself (a
// *LockedError or a refusal to touch a file that is not a pidfile): those are returned as
// they are.
func pathError(op, path string, err error) error {
	var le *LockedError
	if errors.As(err, &le) {
		return le
	}
	var np *NotPidfileError
	if errors.As(err, &np) {
		return np
	}
	return fmt.Errorf("%s pidfile %q: %w", op, path, err)
}

// ErrReadLocked means a process holds a read lock on the pidfile: no daemon does (its lock
// is a write lock), but anyone who may read the file (mode 0644) may take one, and it
// keeps a daemon's lock out. Such a holder is never taken for the daemon, nor signalled.
var ErrReadLocked = errors.New("pidfile read-locked by a process that is no daemon")

// Advise returns err with its fix added when it refuses the pidfile's path for what the
// path names: a symbolic link or a FIFO ("remove it"), a directory, a socket or a device
// (another path alone: filekind.Fix), a file with other hard links ("remove its other
// names"), or give another flag (as "--pidfile (or --state-dir)": how the caller's user
// names the path). Any other error, and nil, is returned as it is.
func Advise(path string, err error, flag string) error {
	var st unix.Stat_t
	switch {
	case errors.Is(err, ErrNotRegular) && unix.Lstat(path, &st) == nil:
		return fmt.Errorf("%w: %s", err, filekind.Fix(uint32(st.Mode), flag)) // uint16 on the BSDs
	case errors.Is(err, ErrHardLink):
		return fmt.Errorf("%w: remove its other names, or give another %s", err, flag)
	}
	return err
}
