//go:build !linux

package sockfile

import (
	"io/fs"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// Chmod gives the socket at path mode, after checking that the path names a socket this
// user owns, not a symlink (anything else is refused, the error wrapping ErrNotOurs). Off
// Linux there is no descriptor to change the mode through: a file put at the path between
// the check and the change would be changed, where the directory lets another user do so.
func Chmod(path string, mode os.FileMode) error {
	var st syscall.Stat_t
	if err := syscall.Lstat(path, &st); err != nil {
		return &fs.PathError{Op: "chmod socket", Path: path, Err: err}
	}
	if err := check(path, uint32(st.Mode), st.Uid); err != nil {
		return err
	}
	return os.Chmod(path, mode)
}

// ChmodAt gives mode to the socket file name in the directory open as dirfd, if it is the
// file of device dev and inode ino, a socket this user owns, never following a symlink
// (anything else is refused, the error wrapping ErrNotOurs). Off Linux the check and the
// change are two steps: a file put at name between them, by one who may write the
// directory, would be changed. path is the socket's path, for the error.
func ChmodAt(dirfd int, name, path string, dev, ino uint64, mode os.FileMode) error {
	var st unix.Stat_t
	if err := unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return &fs.PathError{Op: "chmod socket", Path: path, Err: err}
	}
	if err := checkSame(path, &st, dev, ino); err != nil {
		return err
	}
	if err := unix.Fchmodat(dirfd, name, uint32(mode.Perm()), unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return &fs.PathError{Op: "chmod socket", Path: path, Err: err}
	}
	return nil
}
