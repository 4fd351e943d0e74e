//go:build !linux

package sockfile

import (
	"io/fs"
	"os"
	"syscall"
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
