package pidfile

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// State is what Probe found at a pidfile's path.
type State int

// The states of a pidfile.
const (
	// Absent: no file at the path.
	Absent State = iota
	// Stale: a file nobody holds the lock of, whatever pid it names.
	Stale
	// Running: a daemon holds the file's lock.
	Running
)

// String returns "absent", "stale" or "running".
func (s State) String() string {
	switch s {
	case Absent:
		return "absent"
	case Stale:
		return "stale"
	case Running:
		return "running"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// Status is what Probe found. The lock holder's pid, not the content, says who runs.
type Status struct {
	State State
	// PID is the lock holder's pid when Running, else 0. It is never below 2.
	PID int
	// FilePID is the pid the content names; 0 if it names none.
	FilePID int
	// ContentErr says why the content names no pid (it wraps ErrBadContent, or a read
	// error); nil when it names one, or when Absent.
	ContentErr error
	// Foreign says the content is not a pidfile's at all (not empty, not only NUL bytes,
	// not digits and a newline): this package will neither overwrite nor remove the file. ForeignErr is then
	// the error Acquire would give (errors.Is ErrNotPidfile), for a caller to refuse first.
	Foreign    bool
	ForeignErr error
}

// Mismatch reports that the file is locked but its content names another pid, or none.
func (s Status) Mismatch() bool {
	return s.State == Running && s.FilePID != s.PID
}

// Probe reports whether the pidfile at path is absent, stale or held, and by which pid.
//
// Held means a daemon holds it: Probe asks the kernel (F_GETLK) for a write lock on byte 0,
// which a daemon's whole-file lock covers and a cleaner's (RemoveStale's) never does. It
// never changes anything on disk: it never creates, truncates, locks or removes. It
// opens the file read-only without following a symlink, and does not open at all a file
// this process holds (closing it would drop the lock): that is reported Running with this
// process's pid. The error is the "cannot tell" case (permission denied, not a regular
// file, other hard links, an empty path: ErrEmptyPath, ...) and wraps its cause; if the file is locked by a holder the
// kernel cannot name (another pid namespace, an OFD lock), the error wraps a *LockedError
// with PID 0 and the Status says Running with PID 0, so no caller can mistake it for a pid.
func Probe(path string) (Status, error) {
	if path == "" {
		return Status{}, fmt.Errorf("probe pidfile: %w", ErrEmptyPath)
	}
	reg.mu.Lock()
	defer reg.mu.Unlock()

	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		if errors.Is(err, unix.ENOENT) {
			return Status{State: Absent}, nil
		}
		return Status{}, fmt.Errorf("probe pidfile %q: stat: %w", path, err)
	}
	if err := checkFile(&st, false); err != nil {
		return Status{}, fmt.Errorf("probe pidfile %q: %w", path, err)
	}
	if h := holderOf(idOf(&st)); h != nil {
		return h.selfStatus(), nil
	}

	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.ENOENT) {
			return Status{State: Absent}, nil
		}
		return Status{}, fmt.Errorf("probe pidfile %q: %w", path, describeOpenError(path, err))
	}
	var fst unix.Stat_t
	if err := unix.Fstat(fd, &fst); err != nil {
		_ = unix.Close(fd) // read-only, and not a file we could be holding: we checked its path
		return Status{}, fmt.Errorf("probe pidfile %q: stat descriptor: %w", path, err)
	}
	id := idOf(&fst)
	defer closeFD(fd, id) // runs before reg.mu is unlocked
	if h := holderOf(id); h != nil {
		return h.selfStatus(), nil // the path was switched to a file we hold
	}
	if fst.Nlink == 0 { // removed since the Lstat
		return Status{State: Absent}, nil
	}
	if err := checkFile(&fst, false); err != nil {
		return Status{}, fmt.Errorf("probe pidfile %q: %w", path, err)
	}

	pid, locked, err := getLock(fd)
	if err != nil {
		return Status{}, fmt.Errorf("probe pidfile %q: query lock: %w", path, err)
	}
	s := Status{State: Stale}
	s.FilePID, s.ContentErr = readPID(fd)
	if s.ContentErr != nil {
		s.ForeignErr = checkContent(path, fd, "overwrite")
		s.Foreign = s.ForeignErr != nil
	}
	if !locked {
		return s, nil
	}
	s.State = Running
	if pid < 1 {
		return s, fmt.Errorf("probe pidfile %q: %w", path, &LockedError{Path: path})
	}
	s.PID = pid
	return s, nil
}

// selfStatus is the Status of a file this process holds, read from its own descriptor.
// Call with reg.mu held.
func (f *File) selfStatus() Status {
	s := Status{State: Running, PID: os.Getpid()}
	s.FilePID, s.ContentErr = readPID(f.fd)
	return s
}
