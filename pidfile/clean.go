package pidfile

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// RemoveStale removes the pidfile at path if no daemon holds it, and reports whether it
// did; an absent file is (false, nil).
//
// It is race-free and invisible: it opens the file read-write (never creating it or a
// directory) and locks byte 1 only, which a daemon's whole-file lock excludes, so it fails
// with a *LockedError naming the holder if a daemon holds the file, and no daemon can take
// the file while it works; but a query (Probe, or Acquire's) never sees it. It then checks
// that the path still names the file it locked, and removes it. It never writes, so it
// works on a full disk. It refuses what Acquire refuses (ErrNotRegular, ErrHardLink,
// ErrNotOwner, and ErrNotPidfile for content that is neither empty, nor looks like a
// pidfile, nor is what a power loss leaves of one: see checkContent), before removing
// anything. While another cleaner is at work on the file, it tries again with a short
// back-off, for up to about 2 seconds. An empty path is
// ErrEmptyPath.
func RemoveStale(path string) (bool, error) {
	if path == "" {
		return false, fmt.Errorf("remove stale pidfile: %w", ErrEmptyPath)
	}
	var removed bool
	err := retrying(func() (bool, error) {
		var again bool
		var err error
		removed, again, err = clean(path)
		return !again, err
	})
	if err != nil {
		return false, pathError("remove stale", path, err)
	}
	return removed, nil
}

// clean makes one attempt at removing the stale file at path as a cleaner. again is true
// when the attempt lost a race that a new attempt can resolve. Call with reg.mu held.
func clean(path string) (removed, again bool, err error) {
	fd, id, again, err := openWritable(path, false)
	if fd < 0 {
		return false, again, err
	}
	defer closeFD(fd, id) // releases the cleaner's lock
	if again, err := takeLock(path, fd, cleanerLock()); err != nil || again {
		return false, again, err
	}
	if testHookAfterLock != nil {
		testHookAfterLock()
	}
	same, err := sameFile(path, fd)
	if err != nil {
		return false, false, wrapOp("verify", err)
	}
	if !same { // removed or replaced meanwhile: look at what is there now
		return false, true, nil
	}
	if err := checkContent(path, fd, "remove"); err != nil {
		return false, false, err
	}
	if err := unix.Unlink(path); err != nil {
		if errors.Is(err, unix.ENOENT) {
			return false, false, nil
		}
		return false, false, wrapOp("remove", err)
	}
	return true, false, nil
}
