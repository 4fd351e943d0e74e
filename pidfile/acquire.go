package pidfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/daemonkit/daemonkit/internal/keepfile"
	"golang.org/x/sys/unix"
)

// testHookAfterLock, when set by a test, runs right after an attempt has taken its lock
// (Acquire and Restore: before writing; RemoveStale: before verifying), so a test can
// replace the path at that moment.
var testHookAfterLock func()

// Acquire takes the pidfile at path for this process, for its whole life.
//
// It creates the parent directory (0755) if missing, opens or creates the file (0644
// whatever the umask, and sticky on Linux: see internal/keepfile) without following a symlink, takes a classic POSIX fcntl write lock
// on the whole file (F_SETLK, which F_GETLK reports with this process's pid), writes the
// pid and a newline, and then checks that path still names the file it locked, so
// a concurrent remover never leaves two owners. While the lock is busy but no daemon holds
// it (a cleaner is removing a stale file, or the holder just exited), or the path is
// replaced under it, it tries again with a short back-off for up to about 2 seconds.
//
// If another process holds the lock, the error is a *LockedError naming it (errors.Is
// ErrLocked); if this process already holds the file, the *LockedError names this process.
// It refuses, before writing anything, a path that is not a regular file (ErrNotRegular, the
// message says what it is), a file with other hard links (ErrHardLink), a file owned by
// another user (ErrNotOwner), and a file that is neither empty, nor looks like a pidfile,
// nor is what a power loss leaves of one (only NUL bytes, in a sticky file: see
// checkContent) (ErrNotPidfile, the message quotes it): those, stale, are taken over as
// any stale pidfile is. If the pid
// cannot be written (a full disk, an I/O error), it removes the file while still holding
// it and returns the error: a start that fails leaves no pidfile. An empty path is
// ErrEmptyPath.
func Acquire(path string) (*File, error) {
	if path == "" {
		return nil, fmt.Errorf("acquire pidfile: %w", ErrEmptyPath)
	}
	if err := mkdirAll(filepath.Dir(path)); err != nil {
		return nil, fmt.Errorf("acquire pidfile %q: create directory: %w", path, err)
	}
	var f *File
	err := retrying(func() (bool, error) {
		fd, id, again, err := tryAcquire(path)
		if err != nil || again {
			return false, err
		}
		f = &File{path: path, pid: os.Getpid(), fd: fd, id: id}
		hold(f)
		return true, nil
	})
	if err != nil {
		return nil, pathError("acquire", path, err)
	}
	return f, nil
}

// tryAcquire makes one attempt at taking the file at path: on success fd is a descriptor
// of the file path names, locked whole, holding this process's pid, and the caller must
// record it as held. again is true when the attempt lost a race a new attempt can resolve.
// Call with reg.mu held.
func tryAcquire(path string) (fd int, id fileID, again bool, err error) {
	fd, id, again, err = lockForDaemon(path)
	if fd < 0 {
		return -1, id, again, err
	}
	// The lock is ours from here; closing fd releases it.
	if again, err = claim(path, fd); err != nil || again {
		closeFD(fd, id)
		return -1, id, again, err
	}
	return fd, id, false, nil
}

// lockForDaemon opens or creates the file at path and takes the daemon's lock on it,
// refusing what must not be written (openWritable) and, once locked, content that does not
// look like a pidfile. It returns fd -1, leaving nothing open, unless it succeeds. Call with
// reg.mu held.
func lockForDaemon(path string) (int, fileID, bool, error) {
	fd, id, again, err := openWritable(path, true)
	if fd < 0 {
		return -1, id, again, err
	}
	locked := false
	defer func() {
		if !locked {
			closeFD(fd, id) // drops the lock if it was taken: nothing has been written
		}
	}()
	if again, err := takeLock(path, fd, daemonLock()); err != nil || again {
		return -1, id, again, err
	}
	if err := checkContent(path, fd, "overwrite"); err != nil {
		return -1, id, false, err
	}
	locked = true
	return fd, id, false, nil
}

// claim writes this process's pid into fd, which holds the daemon's lock, and checks that
// path still names it (again is true if not). If the pid cannot be written, it removes the
// file (abandon) and returns why. Call with reg.mu held.
func claim(path string, fd int) (again bool, err error) {
	if testHookAfterLock != nil {
		testHookAfterLock()
	}
	if err := writePID(fd, os.Getpid()); err != nil {
		return false, errors.Join(err, abandon(path, fd))
	}
	same, err := sameFile(path, fd)
	if err != nil {
		return false, wrapOp("verify", err)
	}
	return !same, nil
}

// writePID makes the file 0644 (sticky on Linux, so that tmpfiles cleaners keep it) and its content exactly pid and a newline, on disk. It
// writes before it truncates, so a stale pidfile is rewritten in place even on a full disk.
func writePID(fd, pid int) error {
	if err := unix.Fchmod(fd, 0o644|keepfile.Bit); err != nil {
		return wrapOp("chmod", chmodError(fd, err))
	}
	b := []byte(strconv.Itoa(pid) + "\n")
	n, err := unix.Pwrite(fd, b, 0)
	if err != nil {
		return wrapOp("write", err)
	}
	if n != len(b) {
		return fmt.Errorf("write: short write (%d of %d bytes)", n, len(b))
	}
	if err := unix.Ftruncate(fd, int64(len(b))); err != nil {
		return wrapOp("truncate", err)
	}
	// No fsync: the content is believed only while the lock is held, and a crash that
	// could lose it drops the lock too. start-stop-daemon and nginx do not sync theirs
	// either. It cost 0.8 ms of every start here (docs/performance.md).
	return nil
}

// abandon removes the file open as fd, whose pid could not be written, if path still names
// it. It first becomes a cleaner: it lets go of the daemon's lock except byte 1, so that no
// query names this failed start as a daemon, while no daemon can take the file before it
// is gone. (If letting go fails, it removes the file holding the whole lock.) The caller
// closes fd. Call with reg.mu held.
func abandon(path string, fd int) error {
	_ = unlock(fd, 2, 0)
	_ = unlock(fd, 0, 1)
	same, err := sameFile(path, fd)
	if err != nil {
		return wrapOp("remove after the failed write: verify", err)
	}
	if !same {
		return nil
	}
	if err := unix.Unlink(path); err != nil && !errors.Is(err, unix.ENOENT) {
		return wrapOp("remove after the failed write", err)
	}
	return nil
}
