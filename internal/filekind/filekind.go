// Package filekind says in words what kind of file a mode describes, for the errors of the
// packages that refuse anything but a regular file (pidfile, logfile).
package filekind

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// Of says what kind of file a stat mode (st_mode) describes: "a regular file", "a
// symbolic link", "a directory", "a FIFO", "a socket", "a character device", "a block
// device".
func Of(mode uint32) string {
	switch mode & unix.S_IFMT {
	case unix.S_IFREG:
		return "a regular file"
	case unix.S_IFLNK:
		return "a symbolic link"
	case unix.S_IFDIR:
		return "a directory"
	case unix.S_IFIFO:
		return "a FIFO"
	case unix.S_IFSOCK:
		return "a socket"
	case unix.S_IFCHR:
		return "a character device"
	case unix.S_IFBLK:
		return "a block device"
	}
	return fmt.Sprintf("of unknown type (mode %#o)", mode)
}
