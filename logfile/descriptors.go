package logfile

import (
	"fmt"
	"io/fs"
	"slices"
	"sync"

	"golang.org/x/sys/unix"
)

// Descriptors is a daemon's log as its descriptors hold it: one of its own, above 2 and
// close-on-exec, that its Writer writes (NewWriter(d.FD(), path)), and the shared ones,
// 1 and 2, which the work's own writes to os.Stdout and os.Stderr reach. A serve function
// may close os.Stdout or os.Stderr, and the next file it opens (a database) then gets
// that number: the daemon's own lines never go there, as they go through its own
// descriptor, and Redirect never makes a shared descriptor that names another file than
// the one the daemon put there the log.
type Descriptors struct {
	mu     sync.Mutex
	own    int
	shared []sharedFD
}

// sharedFD is a shared descriptor and the file (device and inode) the daemon made it name.
type sharedFD struct {
	fd       int
	dev, ino uint64
	lost     bool // it names another file now, or none: never made the log again
}

// HoldDescriptors takes the log that the descriptors shared (1 and 2, say) name now as the
// daemon's: it makes a descriptor of its own, a duplicate of the last of them, above 2 and
// close-on-exec, and notes which file each names. Errors are *fs.PathError with Op "hold
// log", naming name, the log's path.
func HoldDescriptors(name string, shared ...int) (*Descriptors, error) {
	if len(shared) == 0 {
		return nil, &fs.PathError{Op: "hold log", Path: name, Err: fmt.Errorf("no descriptor")}
	}
	d := &Descriptors{}
	for _, fd := range shared {
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			return nil, &fs.PathError{Op: "hold log", Path: name, Err: fmt.Errorf("descriptor %d: %w", fd, err)}
		}
		d.shared = append(d.shared, sharedFD{fd: fd, dev: uint64(st.Dev), ino: st.Ino})
	}
	own, err := unix.FcntlInt(uintptr(shared[len(shared)-1]), unix.F_DUPFD_CLOEXEC, max(3, slices.Max(shared)+1))
	if err != nil {
		return nil, &fs.PathError{Op: "hold log", Path: name, Err: fmt.Errorf("duplicate descriptor %d: %w", shared[len(shared)-1], err)}
	}
	d.own = own
	return d, nil
}

// FD is the daemon's own descriptor of its log, for its Writer and for Names.
func (d *Descriptors) FD() int { return d.own }

// Redirect opens the log at path as Open does (after logrotate renamed it) and makes each
// shared descriptor a duplicate of it, atomically, then the daemon's own, so that its
// Writer's next line goes there: once its own names the file, every other does. A shared
// descriptor that no longer names the file the daemon last made it name, nor the null
// device, is left as it is, for good: the work closed it (os.Stdout.Close()) and its
// number went to a file of the work's, which is never replaced. left lists those. If path
// cannot be opened, Redirect returns Open's error and no descriptor is changed; other
// errors are *fs.PathError with Op "redirect to log".
func (d *Descriptors) Redirect(path string) (left []int, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	fail := func(err error) error { return &fs.PathError{Op: "redirect to log", Path: path, Err: err} }
	fd, err := openAppend(path)
	if err != nil {
		return nil, err
	}
	if fd <= 2 {
		// A shared descriptor was closed and the kernel gave its number to the new file:
		// move it above them, so that it is nothing the work may take for its own.
		nfd, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 3)
		unix.Close(fd)
		if err != nil {
			return nil, fail(fmt.Errorf("move descriptor %d: %w", fd, err))
		}
		fd = nfd
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, fail(err)
	}
	for i := range d.shared {
		s := &d.shared[i]
		if !s.lost && !s.names() {
			s.lost = true
		}
		if s.lost {
			left = append(left, s.fd)
			continue
		}
		if err := dupOnto(fd, s.fd); err != nil {
			return left, fail(fmt.Errorf("descriptor %d: %w", s.fd, err))
		}
		s.dev, s.ino = uint64(st.Dev), st.Ino
	}
	// Its own last: once it names the new file, so do the others (see cli's reopen wait).
	if err := dupOntoFlags(fd, d.own, unix.O_CLOEXEC); err != nil {
		return left, fail(fmt.Errorf("descriptor %d: %w", d.own, err))
	}
	return left, nil
}

// names reports whether s still names the file the daemon made it name, or the null
// device (a daemon with no log, or a work that put it there itself).
func (s *sharedFD) names() bool {
	var st unix.Stat_t
	if unix.Fstat(s.fd, &st) != nil {
		return false // closed: what the work closed stays closed
	}
	return uint64(st.Dev) == s.dev && st.Ino == s.ino || isNull(&st)
}

// NamesLog reports whether the shared descriptor fd names the log: the file the daemon
// last made it name. It does not once the work closed it, or put a file of its own there
// (a database, /dev/null), and never again then.
func (d *Descriptors) NamesLog(fd int) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	for i := range d.shared {
		s := &d.shared[i]
		if s.fd != fd {
			continue
		}
		var st unix.Stat_t
		return !s.lost && unix.Fstat(fd, &st) == nil && uint64(st.Dev) == s.dev && st.Ino == s.ino
	}
	return false
}

// Dup is a new descriptor of the log, as the daemon's own names it now, close-on-exec,
// for the caller to close.
func (d *Descriptors) Dup() (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return unix.FcntlInt(uintptr(d.own), unix.F_DUPFD_CLOEXEC, 3)
}
