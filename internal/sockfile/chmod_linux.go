package sockfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// Chmod gives the socket at path mode. It opens the path itself, not what a symlink there
// names (O_PATH, O_NOFOLLOW), checks that it is a socket this user owns, and changes the
// mode of that very file, through its descriptor: nothing put at the path meanwhile is
// ever changed. Anything else there is refused, the error wrapping ErrNotOurs.
func Chmod(path string, mode os.FileMode) error {
	return chmodChecked(unix.AT_FDCWD, path, path, mode, func(st *unix.Stat_t) error {
		return check(path, st.Mode, st.Uid)
	})
}

// ChmodAt gives mode to the socket file name in the directory open as dirfd, if it is the
// file of device dev and inode ino (BoundFile's, or what name named when it was bound): it
// opens name in that directory, never following a symlink (O_PATH, O_NOFOLLOW), checks
// that it is that file, a socket this user owns, and changes the mode of that very file,
// through its descriptor. Whatever is put at name, or wherever the directory's path leads
// since, nothing else is ever changed: the error then wraps ErrNotOurs. path is the
// socket's path, for the error.
func ChmodAt(dirfd int, name, path string, dev, ino uint64, mode os.FileMode) error {
	return chmodChecked(dirfd, name, path, mode, func(st *unix.Stat_t) error {
		return checkSame(path, st, dev, ino)
	})
}

// chmodChecked opens name in the directory dirfd without following a symlink there (O_PATH,
// O_NOFOLLOW), lets ok refuse what it is, and gives mode to that very file, through its
// descriptor. path names it in errors.
func chmodChecked(dirfd int, name, path string, mode os.FileMode, ok func(*unix.Stat_t) error) error {
	fd, err := unix.Openat(dirfd, name, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return &fs.PathError{Op: "chmod socket", Path: path, Err: err}
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return &fs.PathError{Op: "chmod socket", Path: path, Err: err}
	}
	if err := ok(&st); err != nil {
		return err
	}
	// fchmod refuses an O_PATH descriptor; its /proc/self/fd link names the same file.
	if err := unix.Chmod("/proc/self/fd/"+strconv.Itoa(fd), uint32(mode.Perm())); err != nil {
		if errors.Is(err, unix.ENOENT) {
			err = fmt.Errorf("%w (setting a socket's mode without following a symlink needs /proc mounted)", err)
		}
		return &fs.PathError{Op: "chmod socket", Path: path, Err: err}
	}
	return nil
}
