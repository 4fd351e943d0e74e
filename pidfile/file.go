package pidfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/daemonkit/daemonkit/internal/filekind"
	"golang.org/x/sys/unix"
)

// File is a pidfile this process holds: the lock is held until Release or the end of the
// process. A File is safe for concurrent use.
type File struct {
	path     string
	pid      int
	fd       int    // the held file; Restore may move it to a new file
	id       fileID // the identity of fd's file, the key in reg.held
	parked   []int  // descriptors of this file opened by races; closed by Release
	released bool
}

// Path returns the path given to Acquire.
func (f *File) Path() string { return f.path }

// PID returns the pid written into the file: this process's pid at the time of Acquire.
func (f *File) PID() int { return f.pid }

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

// Check reports whether the path still names the file this process holds: the same file
// (device and inode), with a link count above 0. If not, the error wraps ErrReplaced and
// says what the path names now: nothing, something that is not a regular file, or another
// file and who holds it. If it does, but the file no longer holds this process's pid
// (written over by hand: a pidfile's content is what proves its holder the daemon to
// those who look), the error wraps ErrOverwritten and quotes what it holds. Check changes
// nothing and never drops the lock. After Release it returns an error wrapping
// os.ErrClosed.
func (f *File) Check() error {
	if f == nil {
		return fmt.Errorf("check pidfile: %w", os.ErrInvalid)
	}
	reg.mu.Lock()
	defer reg.mu.Unlock()
	if f.released {
		return fmt.Errorf("check pidfile %q: %w", f.path, os.ErrClosed)
	}
	same, err := sameFile(f.path, f.fd)
	if err != nil {
		return fmt.Errorf("check pidfile %q: %w", f.path, err)
	}
	if same {
		if held, ok := f.holdsPID(); !ok {
			return fmt.Errorf("check pidfile %q: %w: it holds %q, not pid %d", f.path, ErrOverwritten, held, f.pid)
		}
		return nil
	}
	return fmt.Errorf("check pidfile %q: %w: the path now names %s", f.path, ErrReplaced, describeAt(f.path))
}

// holdsPID reports whether f's file holds exactly its pid, as written, and what it holds
// (up to 32 bytes); a file that cannot be read is taken to hold it, as nothing can be
// told. Call with reg.mu held.
func (f *File) holdsPID() (held string, ok bool) {
	want := strconv.Itoa(f.pid) + "\n"
	buf := make([]byte, 32)
	n, err := unix.Pread(f.fd, buf, 0)
	if err != nil {
		return "", true
	}
	return string(buf[:n]), string(buf[:n]) == want
}

// describeAt says what path names, for Check: "nothing", the kind of a file that is not
// regular, or "another file" and who holds it. Call with reg.mu held.
func describeAt(path string) string {
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		if errors.Is(err, unix.ENOENT) {
			return "nothing"
		}
		return fmt.Sprintf("something that cannot be examined (%v)", err)
	}
	if mode := uint32(st.Mode); mode&unix.S_IFMT != unix.S_IFREG { // uint16 on the BSDs
		return filekind.Of(mode)
	}
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Sprintf("another file, which cannot be opened (%v)", err)
	}
	var fst unix.Stat_t
	if err := unix.Fstat(fd, &fst); err != nil {
		_ = unix.Close(fd) // cannot happen on a valid descriptor
		return "another file"
	}
	defer closeFD(fd, idOf(&fst))
	if holderOf(idOf(&fst)) != nil {
		return fmt.Sprintf("another file, locked by pid %d (this process)", os.Getpid())
	}
	switch pid, locked, err := getLock(fd); {
	case err != nil:
		return fmt.Sprintf("another file, whose lock cannot be queried (%v)", err)
	case !locked:
		return "another file, which no process holds"
	case pid == 0:
		return "another file, locked by a process whose pid cannot be determined"
	default:
		return fmt.Sprintf("another file, locked by pid %d", pid)
	}
}

// Restore makes the path name, again, a file this process holds with its pid written, after
// the file was removed or replaced by hand. If the path names the held file, it only
// rewrites the pid if the content differs. If the path is absent, it creates a new file
// exactly as Acquire does; if it names another file that no process holds, it takes that
// file over as Acquire does; either way, it lets go of the old file only once the new one
// is locked, and Release then removes the new file. If another process holds the file at
// the path, the error is a *LockedError naming it: a second daemon runs under this name.
// It refuses what Acquire refuses, with the same errors. After Release it returns an error
// wrapping os.ErrClosed.
func (f *File) Restore() error {
	if f == nil {
		return fmt.Errorf("restore pidfile: %w", os.ErrInvalid)
	}
	err := retrying(func() (bool, error) {
		if f.released {
			return false, os.ErrClosed
		}
		same, err := sameFile(f.path, f.fd)
		if err != nil {
			return false, wrapOp("verify", err)
		}
		if same {
			return true, f.rewrite()
		}
		if err := mkdirAll(filepath.Dir(f.path)); err != nil {
			return false, wrapOp("create directory", err)
		}
		fd, id, again, err := tryAcquire(f.path)
		if err != nil || again {
			return false, err
		}
		f.adopt(fd, id)
		return true, nil
	})
	if err != nil {
		return pathError("restore", f.path, err)
	}
	return nil
}

// rewrite writes f's pid into its file again unless the content is already exactly that,
// whatever it holds instead: the file is this process's own, made or taken over by it and
// locked since (what another file holds is never written over: Acquire and Restore refuse
// one that is not a pidfile before they hold it), unless it has other hard links now
// (ErrHardLink: what was written through another name is that name's). Call with reg.mu
// held.
func (f *File) rewrite() error {
	want := strconv.Itoa(f.pid) + "\n"
	buf := make([]byte, len(want)+1)
	n, err := unix.Pread(f.fd, buf, 0)
	if err != nil {
		return wrapOp("read", err)
	}
	if string(buf[:n]) == want {
		return nil
	}
	var st unix.Stat_t
	if err := unix.Fstat(f.fd, &st); err != nil {
		return wrapOp("stat descriptor", err)
	}
	if st.Nlink > 1 { // written over through another name: what it holds there is not ours
		return fmt.Errorf("%w: it has %d links", ErrHardLink, st.Nlink)
	}
	return writePID(f.fd, f.pid)
}

// adopt makes f hold the file open as fd, already locked and written, instead of its old
// file, whose descriptors it then closes (dropping that file's lock, no longer wanted).
// Call with reg.mu held.
func (f *File) adopt(fd int, id fileID) {
	old := append(f.parked, f.fd)
	delete(reg.held, f.id)
	f.fd, f.id, f.parked = fd, id, nil
	hold(f)
	for _, o := range old {
		_ = unix.Close(o) // the old file is no longer held: nothing to lose
	}
}
