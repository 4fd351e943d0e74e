package pidfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// maxAttempts bounds Acquire's retries when the path is replaced under it or the holder
// exits between F_SETLK and F_GETLK.
const maxAttempts = 10

// testHookAfterLock, when set by a test, runs after Acquire has taken the lock and before it
// writes and verifies the file, so a test can replace the path at that moment.
var testHookAfterLock func()

// File is a pidfile this process holds: the lock is held until Release or the end of the
// process. A File is safe for concurrent use.
type File struct {
	path     string
	pid      int
	fd       int
	id       fileID
	parked   []int // descriptors of this file opened by races; closed by Release
	released bool
}

// Path returns the path given to Acquire.
func (f *File) Path() string { return f.path }

// PID returns the pid written into the file: this process's pid at the time of Acquire.
func (f *File) PID() int { return f.pid }

// Acquire takes the pidfile at path for this process, for its whole life.
//
// It creates the parent directory (0755) if missing, opens or creates the file (0644
// whatever the umask) without following a symlink, takes a classic POSIX fcntl write lock
// (F_SETLK, which F_GETLK reports with this process's pid), writes the pid and a newline,
// fsyncs, and then checks that path still names the file it locked, retrying a bounded
// number of times if not, so a concurrent remover never leaves two owners.
//
// If another process holds the lock, the error is a *LockedError naming it (errors.Is
// ErrLocked); if this process already holds the file, the *LockedError names this process.
// It refuses, before writing anything, a path that is not a regular file (ErrNotRegular, the
// message says what it is), a file with other hard links (ErrHardLink) and a file owned by
// another user (ErrNotOwner).
func Acquire(path string) (*File, error) {
	if path == "" {
		return nil, errors.New("acquire pidfile: empty path")
	}
	if err := mkdirAll(filepath.Dir(path)); err != nil {
		return nil, fmt.Errorf("acquire pidfile %q: create directory: %w", path, err)
	}
	return acquire(path, true)
}

// errAbsent is returned by acquire without create when there is no file to take.
var errAbsent = errors.New("no such file")

// acquire is Acquire without creating the directory; without create, it does not create
// the file either, and returns errAbsent if there is none.
func acquire(path string, create bool) (*File, error) {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	for range maxAttempts {
		f, retry, err := tryAcquire(path, create)
		if err != nil {
			var le *LockedError
			if errors.As(err, &le) {
				return nil, le
			}
			if errors.Is(err, errAbsent) {
				return nil, errAbsent
			}
			return nil, fmt.Errorf("acquire pidfile %q: %w", path, err)
		}
		if !retry {
			return f, nil
		}
	}
	return nil, fmt.Errorf("acquire pidfile %q: %w", path, errUnstable)
}

// tryAcquire makes one attempt. retry is true when the attempt lost a race that a new
// attempt can resolve. Call with reg.mu held.
func tryAcquire(path string, create bool) (f *File, retry bool, err error) {
	var st unix.Stat_t
	switch err := unix.Lstat(path, &st); {
	case err == nil:
		if err := checkFile(&st, true); err != nil {
			return nil, false, err
		}
		if holderOf(idOf(&st)) != nil {
			return nil, false, &LockedError{Path: path, PID: os.Getpid()}
		}
	case errors.Is(err, unix.ENOENT):
	default:
		return nil, false, fmt.Errorf("stat: %w", err)
	}

	flags := unix.O_RDWR | unix.O_NOFOLLOW | unix.O_CLOEXEC | unix.O_NONBLOCK
	if create {
		flags |= unix.O_CREAT
	}
	fd, err := unix.Open(path, flags, 0o644)
	if err != nil {
		if !create && errors.Is(err, unix.ENOENT) {
			return nil, false, errAbsent
		}
		return nil, false, describeOpenError(path, err)
	}
	var fst unix.Stat_t
	if err := unix.Fstat(fd, &fst); err != nil {
		_ = unix.Close(fd) // unknown file, no lock taken
		return nil, false, fmt.Errorf("stat descriptor: %w", err)
	}
	id := idOf(&fst)
	if holderOf(id) != nil {
		closeFD(fd, id) // parks it: closing would drop our own lock
		return nil, false, &LockedError{Path: path, PID: os.Getpid()}
	}
	if fst.Nlink == 0 { // removed since we opened it
		closeFD(fd, id)
		return nil, true, nil
	}
	if err := checkFile(&fst, true); err != nil {
		closeFD(fd, id)
		return nil, false, err
	}

	ok, err := setLock(fd)
	if err != nil {
		closeFD(fd, id)
		return nil, false, fmt.Errorf("lock: %w", err)
	}
	if !ok {
		pid, locked, err := getLock(fd)
		closeFD(fd, id)
		if err != nil {
			return nil, false, fmt.Errorf("query lock: %w", err)
		}
		if !locked { // the holder let go in between
			return nil, true, nil
		}
		return nil, false, &LockedError{Path: path, PID: pid}
	}

	// The lock is ours from here; closing fd releases it.
	if testHookAfterLock != nil {
		testHookAfterLock()
	}
	pid := os.Getpid()
	if err := writePID(fd, pid); err != nil {
		closeFD(fd, id)
		return nil, false, err
	}
	same, err := sameFile(path, fd)
	if err != nil {
		closeFD(fd, id)
		return nil, false, fmt.Errorf("verify: %w", err)
	}
	if !same { // removed or replaced under us: the name belongs to whoever locks its new file
		closeFD(fd, id)
		return nil, true, nil
	}
	f = &File{path: path, pid: pid, fd: fd, id: id}
	hold(f)
	return f, false, nil
}

// writePID makes the file 0644 and its content exactly pid and a newline, on disk.
func writePID(fd, pid int) error {
	if err := unix.Fchmod(fd, 0o644); err != nil {
		return fmt.Errorf("chmod: %w", err)
	}
	if err := unix.Ftruncate(fd, 0); err != nil {
		return fmt.Errorf("truncate: %w", err)
	}
	b := []byte(strconv.Itoa(pid) + "\n")
	n, err := unix.Pwrite(fd, b, 0)
	if err != nil {
		return fmt.Errorf("write: %w", err)
	}
	if n != len(b) {
		return fmt.Errorf("write: short write (%d of %d bytes)", n, len(b))
	}
	if err := unix.Fsync(fd); err != nil {
		return fmt.Errorf("fsync: %w", err)
	}
	return nil
}

// Release removes the pidfile while still holding its lock, if the path still names the
// file this process locked (a file someone put in its place is left alone), and then
// closes it, which releases the lock. A second call does nothing and returns nil.
func (f *File) Release() error {
	if f == nil {
		return fmt.Errorf("release pidfile: %w", os.ErrInvalid)
	}
	reg.mu.Lock()
	defer reg.mu.Unlock()
	if f.released {
		return nil
	}
	f.released = true
	var errs []error
	same, err := sameFile(f.path, f.fd)
	switch {
	case err != nil:
		errs = append(errs, fmt.Errorf("release pidfile %q: verify: %w", f.path, err))
	case same:
		if err := unix.Unlink(f.path); err != nil && !errors.Is(err, unix.ENOENT) {
			errs = append(errs, fmt.Errorf("release pidfile %q: remove: %w", f.path, err))
		}
	}
	delete(reg.held, f.id)
	for _, fd := range append(f.parked, f.fd) {
		if err := unix.Close(fd); err != nil {
			errs = append(errs, fmt.Errorf("release pidfile %q: close: %w", f.path, err))
		}
	}
	f.parked = nil
	return errors.Join(errs...)
}
