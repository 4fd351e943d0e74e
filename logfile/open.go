package logfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/daemonkit/daemonkit/internal/keepfile"
	"github.com/daemonkit/daemonkit/internal/storage"
	"golang.org/x/sys/unix"
)

const (
	fileMode = 0o640 // a log file Open creates
	dirMode  = 0o755 // a directory Open creates

	// openFlags open a log for appending. O_NOFOLLOW refuses a symlink planted at the path;
	// O_NONBLOCK makes a FIFO fail (no reader) or open at once (a reader) instead of
	// blocking, and a device open without waiting; O_NOCTTY keeps a terminal from becoming
	// the controlling one. Nothing but a regular file is kept after fstat.
	openFlags = unix.O_WRONLY | unix.O_APPEND | unix.O_NOFOLLOW | unix.O_NONBLOCK |
		unix.O_NOCTTY | unix.O_CLOEXEC

	// maxAttempts bounds the retries when the file is removed between two opens.
	maxAttempts = 10
)

// Open opens the log file at path for appending, never truncating it, with close-on-exec.
//
// A missing file is created mode 0640 whatever the umask, and sticky on Linux, so that
// tmpfiles cleaners keep it however long it goes unwritten (an existing file of the
// effective user keeps its permissions, and is made sticky too: logrotate's create makes
// one), and missing parent directories 0755 whatever the umask; existing directories,
// symlinked ones included, are used as they are, but a dangling symlink is never created
// through. Open refuses, before writing anything and without ever blocking, a path whose
// last component is a symbolic link, a FIFO, a directory, a socket or a device
// (ErrNotRegular, the message says which), a file with other hard links (ErrHardLink), and
// a file another user than the effective one or root owns (ErrNotOwner).
// The null device, /dev/null, is the one device it takes: a log that keeps nothing.
// The file returned is in blocking mode. Errors are *fs.PathError with Op "open log".
func Open(path string) (*os.File, error) {
	fd, err := openAppend(path)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), path), nil
}

// OpenExisting is Open of a log that is there: it creates nothing (a missing file is an
// error wrapping fs.ErrNotExist), and refuses what Open refuses, the same way.
func OpenExisting(path string) (*os.File, error) {
	fd, err := unix.Open(path, openFlags, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open log", Path: path, Err: withFix(path, describeOpenError(path, err))}
	}
	if err := prepare(fd, false); err != nil {
		unix.Close(fd)
		return nil, &fs.PathError{Op: "open log", Path: path, Err: withFix(path, err)}
	}
	return os.NewFile(uintptr(fd), path), nil
}

// openAppend is Open returning the raw descriptor.
func openAppend(path string) (int, error) {
	fail := func(err error) (int, error) {
		return -1, &fs.PathError{Op: "open log", Path: path, Err: err}
	}
	if path == "" {
		return fail(errors.New("empty path"))
	}
	if err := mkdirAll(filepath.Dir(path)); err != nil {
		return fail(explainStorage(path, err))
	}
	fd, created, err := openOrCreate(path)
	if err != nil {
		return fail(withFix(path, describeOpenError(path, err)))
	}
	if err := prepare(fd, created); err != nil {
		if created {
			removeCreated(path, fd)
		}
		unix.Close(fd)
		return fail(withFix(path, explainStorage(path, err)))
	}
	return fd, nil
}

// removeCreated removes the file at path that this Open created as fd and then refused
// (its mode could not be set, or the mount gives it one too open): left there, empty, the
// next start would take it as a log made by another and not refuse it. A file some other
// process put at path meanwhile is left alone.
func removeCreated(path string, fd int) {
	var made, there unix.Stat_t
	if unix.Fstat(fd, &made) != nil || unix.Lstat(path, &there) != nil {
		return
	}
	if made.Dev == there.Dev && made.Ino == there.Ino {
		_ = unix.Unlink(path)
	}
}

// openOrCreate opens path with openFlags, creating it if missing, and says whether it
// created it: only a file it created may be chmod-ed.
func openOrCreate(path string) (fd int, created bool, err error) {
	for range maxAttempts {
		// O_EXCL also fails (EEXIST) on a symlink, dangling or not, so nothing is ever
		// created through one.
		fd, err = unix.Open(path, openFlags|unix.O_CREAT|unix.O_EXCL, fileMode)
		if err == nil {
			return fd, true, nil
		}
		if err != unix.EEXIST {
			return -1, false, err
		}
		fd, err = unix.Open(path, openFlags, 0)
		if err == nil {
			return fd, false, nil
		}
		if err != unix.ENOENT {
			return -1, false, err
		}
		// Removed between the two calls: try again.
	}
	return -1, false, err
}

// prepare checks that fd is a regular file with one link, sets the mode of a file it
// created, and clears O_NONBLOCK.
func prepare(fd int, created bool) error {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fmt.Errorf("stat: %w", err)
	}
	if isNull(&st) { // a log that keeps nothing: there is nothing to check
		return clearNonblock(fd)
	}
	if err := checkRegular(&st); err != nil {
		return err
	}
	if n := uint64(st.Nlink); n > 1 { // field types differ per OS
		return fmt.Errorf("%w: it has %d links", ErrHardLink, n)
	}
	if uid := int(st.Uid); uid != os.Geteuid() && uid != 0 { // root's is as trusted as the directories are
		return fmt.Errorf("%w: it is owned by uid %d, not by uid %d nor root; its owner could read it and write into it: chown it, remove it, or give another --log", ErrNotOwner, uid, os.Geteuid())
	}
	switch perm := uint32(st.Mode) & 0o7777; {
	case created:
		if err := setMode(fd, &st, fileMode, keepfile.Bit); err != nil {
			return fmt.Errorf("chmod: %w", err)
		}
	case perm&keepfile.Bit == 0 && int(st.Uid) == os.Geteuid():
		// A log made by another (logrotate's create, by hand) is kept by cleaners too; its
		// permissions are its maker's. Not a reason to refuse it, if it cannot be done.
		_ = unix.Fchmod(fd, perm|keepfile.Bit)
	}
	return clearNonblock(fd)
}

func clearNonblock(fd int) error {
	if err := unix.SetNonblock(fd, false); err != nil {
		return fmt.Errorf("clear O_NONBLOCK: %w", err)
	}
	return nil
}

// Discards reports whether path names the null device (/dev/null): a log that keeps
// nothing, which Open accepts although it is a device, and which has no lines to read.
func Discards(path string) bool {
	var st unix.Stat_t
	return unix.Stat(path, &st) == nil && isNull(&st)
}

// isNull reports whether st is the null device's.
func isNull(st *unix.Stat_t) bool {
	var null unix.Stat_t
	return uint32(st.Mode)&unix.S_IFMT == unix.S_IFCHR && // uint16 on the BSDs
		unix.Stat(os.DevNull, &null) == nil && st.Rdev == null.Rdev
}

// mkdirAll makes dir and its missing parents, each one it creates 0755 whatever the umask.
// Existing directories, or symlinks to them, are left as they are; a dangling symlink is an
// error, never created through.
func mkdirAll(dir string) error {
	var st unix.Stat_t
	err := unix.Stat(dir, &st)
	if err == nil {
		if uint32(st.Mode)&unix.S_IFMT != unix.S_IFDIR { // uint16 on the BSDs
			return fmt.Errorf("directory %s: %w", dir, unix.ENOTDIR)
		}
		return nil
	}
	if err != unix.ENOENT {
		return fmt.Errorf("stat directory %s: %w", dir, err)
	}
	if parent := filepath.Dir(dir); parent != dir {
		if err := mkdirAll(parent); err != nil {
			return err
		}
	}
	if err := unix.Mkdir(dir, dirMode); err != nil {
		if err == unix.EEXIST && unix.Stat(dir, &st) == nil &&
			uint32(st.Mode)&unix.S_IFMT == unix.S_IFDIR {
			return nil // made concurrently
		}
		return fmt.Errorf("create directory %s: %w", dir, err)
	}
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open directory %s: %w", dir, err)
	}
	defer unix.Close(fd)
	if err := unix.Fstat(fd, &st); err != nil {
		return fmt.Errorf("stat directory %s: %w", dir, err)
	}
	if err := setMode(fd, &st, dirMode, 0); err != nil {
		return fmt.Errorf("chmod directory %s: %w", dir, err)
	}
	return nil
}

// fchmod is unix.Fchmod, for setMode: a test's seam, to refuse a mode as a file system
// without Unix modes does.
var fchmod = unix.Fchmod

// setMode gives fd, a file or directory this process made (st is its fstat), mode, with
// extra if the file system takes it. On a file system that keeps no Unix modes (vfat,
// exFAT: storage.ErrNoModes), where the mount's options give every file its mode, the file
// is taken as it is unless that mode lets other users write it; it then fails, naming
// storage.ErrNoModes, so that the caller says so with the fix.
func setMode(fd int, st *unix.Stat_t, mode, extra uint32) error {
	err := fchmod(fd, mode|extra)
	if err != nil && extra != 0 {
		err = fchmod(fd, mode)
	}
	if err == nil {
		return nil
	}
	err = storage.NoModes(err, int(st.Uid))
	if !errors.Is(err, storage.ErrNoModes) {
		return err
	}
	if perm := uint32(st.Mode) & 0o777; perm&0o022 != 0 {
		return fmt.Errorf("%w, and the mount gives it mode %04o, which lets other users write it", err, perm)
	}
	return nil
}

// openRead opens the regular file at path for reading, without following a final symlink
// and without blocking on a FIFO, and returns it, in blocking mode, with its fstat. A file
// another user than the effective one or root owns is refused (checkReadOwner).
func openRead(path string) (*os.File, *unix.Stat_t, error) {
	const flags = unix.O_RDONLY | unix.O_NOFOLLOW | unix.O_NONBLOCK | unix.O_NOCTTY | unix.O_CLOEXEC
	fd, err := unix.Open(path, flags, 0)
	if err != nil {
		return nil, nil, describeOpenError(path, err)
	}
	st := new(unix.Stat_t)
	err = unix.Fstat(fd, st)
	if err == nil {
		err = checkRegular(st)
	}
	if err == nil {
		err = checkReadOwner(st)
	}
	if err == nil {
		err = unix.SetNonblock(fd, false)
	}
	if err != nil {
		unix.Close(fd)
		return nil, nil, err
	}
	return os.NewFile(uintptr(fd), path), st, nil
}
