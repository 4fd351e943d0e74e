package pidfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/daemonkit/daemonkit/internal/filekind"
	"golang.org/x/sys/unix"
)

// fileID names a file independently of its path.
type fileID struct{ dev, ino uint64 }

func idOf(st *unix.Stat_t) fileID {
	return fileID{dev: uint64(st.Dev), ino: uint64(st.Ino)} // field types differ per OS
}

// checkFile refuses what must never be used as a pidfile: anything but a regular file, a
// file with other hard links, and, when forWrite, a file owned by another user.
func checkFile(st *unix.Stat_t, forWrite bool) error {
	mode := uint32(st.Mode) // uint16 on the BSDs
	if mode&unix.S_IFMT != unix.S_IFREG {
		return fmt.Errorf("%w: it is %s", ErrNotRegular, filekind.Of(mode))
	}
	if n := uint64(st.Nlink); n > 1 { // field types differ per OS
		return fmt.Errorf("%w: it has %d links", ErrHardLink, n)
	}
	if forWrite {
		if euid := unix.Geteuid(); int(st.Uid) != euid {
			return fmt.Errorf("%w: it is owned by uid %d, not by uid %d", ErrNotOwner, st.Uid, euid)
		}
	}
	return nil
}

// CheckUnlocked refuses, with the errors Acquire and RemoveStale give, to verb
// ("overwrite" or "remove") the file open as fd at path, a pidfile that no lock guards (a
// supervised program's, which its supervisor writes): anything but a regular file
// (ErrNotRegular), a file with other hard links (ErrHardLink), a file another user owns
// (ErrNotOwner), and content that does not look like a pidfile (a *NotPidfileError). It
// reads the file and changes nothing.
func CheckUnlocked(path string, fd int, verb string) error {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return wrapOp("stat descriptor", err)
	}
	if err := checkFile(&st, true); err != nil {
		return err
	}
	return checkContent(path, fd, verb)
}

// describeOpenError explains why opening path failed: if the path now names something
// that is not a regular file (O_NOFOLLOW met a symlink, O_RDWR met a directory), it says
// what; otherwise it wraps err.
func describeOpenError(path string, err error) error {
	var st unix.Stat_t
	if lerr := unix.Lstat(path, &st); lerr == nil {
		if cerr := checkFile(&st, false); errors.Is(cerr, ErrNotRegular) {
			return cerr
		}
	}
	return fmt.Errorf("open: %w", err)
}

// refuse returns why the file st describes, at path, must not be written or removed by
// this attempt: this process holds it (a *LockedError naming this process), or checkFile
// refuses it for writing. Call with reg.mu held.
func refuse(path string, st *unix.Stat_t) error {
	if holderOf(idOf(st)) != nil {
		return &LockedError{Path: path, PID: os.Getpid()}
	}
	return checkFile(st, true)
}

// openWritable opens the file at path read-write without following a symbolic link, and
// never blocking (a FIFO), creating it 0644 if create, after refusing (refuse) what it
// finds both before opening and after. It returns fd -1 when there is nothing to open
// (no file and !create, or the file was removed meanwhile: then again is true). Otherwise
// the caller owns fd and lets go of it with closeFD. Call with reg.mu held.
func openWritable(path string, create bool) (fd int, id fileID, again bool, err error) {
	var st unix.Stat_t
	switch err := unix.Lstat(path, &st); {
	case err == nil:
		if err := refuse(path, &st); err != nil {
			return -1, id, false, err
		}
	case errors.Is(err, unix.ENOENT):
		if !create {
			return -1, id, false, nil
		}
	default:
		return -1, id, false, wrapOp("stat", err)
	}
	flags := unix.O_RDWR | unix.O_NOFOLLOW | unix.O_NONBLOCK | unix.O_CLOEXEC
	if create {
		flags |= unix.O_CREAT
	}
	fd, err = unix.Open(path, flags, 0o644)
	if err != nil {
		if !create && errors.Is(err, unix.ENOENT) {
			return -1, id, false, nil
		}
		return -1, id, false, describeOpenError(path, err)
	}
	var fst unix.Stat_t
	if err := unix.Fstat(fd, &fst); err != nil {
		_ = unix.Close(fd) // cannot happen on a valid descriptor
		return -1, id, false, wrapOp("stat descriptor", err)
	}
	id = idOf(&fst)
	err = refuse(path, &fst)
	if err == nil && fst.Nlink > 0 {
		return fd, id, false, nil
	}
	// closeFD parks fd if this process holds the file: closing it would drop the lock. No
	// error means a link count of 0: the file was removed since we looked.
	closeFD(fd, id)
	return -1, id, err == nil, err
}

// sameFile reports whether path still names the file open as fd, and that file still has
// a name (link count above 0).
func sameFile(path string, fd int) (bool, error) {
	var fst, pst unix.Stat_t
	if err := unix.Fstat(fd, &fst); err != nil {
		return false, fmt.Errorf("stat descriptor: %w", err)
	}
	if fst.Nlink == 0 {
		return false, nil
	}
	if err := unix.Lstat(path, &pst); err != nil {
		if errors.Is(err, unix.ENOENT) {
			return false, nil
		}
		return false, fmt.Errorf("stat: %w", err)
	}
	return idOf(&fst) == idOf(&pst), nil
}

// MakeDir makes the directory dir of pidfiles, and its missing parents, as Acquire makes
// a pidfile's: for a caller that keeps files of its own there before it acquires one.
func MakeDir(dir string) error { return mkdirAll(dir) }

// mkdirAll makes dir and its missing parents, each created one 0755 whatever the umask.
// Directories that already exist are left as they are.
func mkdirAll(dir string) error {
	var st unix.Stat_t
	err := unix.Stat(dir, &st)
	if err == nil {
		if uint32(st.Mode)&unix.S_IFMT != unix.S_IFDIR { // uint16 on the BSDs
			return fmt.Errorf("%q: %w", dir, unix.ENOTDIR)
		}
		return nil
	}
	if !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("stat %q: %w", dir, err)
	}
	if parent := filepath.Dir(dir); parent != dir {
		if err := mkdirAll(parent); err != nil {
			return err
		}
	}
	if err := unix.Mkdir(dir, 0o755); err != nil {
		if errors.Is(err, unix.EEXIST) {
			return madeMeanwhile(dir)
		}
		return fmt.Errorf("mkdir %q: %w", dir, err)
	}
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open %q: %w", dir, err)
	}
	defer unix.Close(fd)
	if err := unix.Fchmod(fd, 0o755); err != nil {
		return fmt.Errorf("chmod %q: %w", dir, chmodError(fd, err))
	}
	return nil
}

// madeMeanwhile checks what mkdirAll's mkdir of dir found there (EEXIST): a directory
// made concurrently is fine; anything else is an error, and so is a symbolic link that
// leads nowhere, which mkdirAll would otherwise try to make again without end.
func madeMeanwhile(dir string) error {
	var st unix.Stat_t
	if err := unix.Stat(dir, &st); err != nil {
		if target, lerr := os.Readlink(dir); lerr == nil {
			return fmt.Errorf("%q is a symbolic link to %q, which cannot be reached: %w", dir, target, err)
		}
		return fmt.Errorf("stat %q: %w", dir, err)
	}
	if uint32(st.Mode)&unix.S_IFMT != unix.S_IFDIR { // uint16 on the BSDs
		return fmt.Errorf("%q: %w", dir, unix.ENOTDIR)
	}
	return nil
}
