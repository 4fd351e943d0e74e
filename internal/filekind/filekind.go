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

// Fix says how to get past the refusal of a path, given by flag ("--log"), that names what
// mode describes instead of a regular file: a symbolic link or a FIFO, which hold nothing
// of their own, may be removed; a directory is never to be (put where a log was, it may be
// moved away; given as the flag, /var/log say, the flag is the mistake); a socket is the
// address a program listens on (/dev/log, syslog's, given as a log), and a device is never
// touched (/dev/full given as a log): only the flag changes.
func Fix(mode uint32, flag string) string {
	switch mode & unix.S_IFMT {
	case unix.S_IFLNK, unix.S_IFIFO:
		return "remove it, or give another " + flag
	case unix.S_IFDIR:
		return "move it away, or give " + flag + " a file's path, not a directory's"
	case unix.S_IFSOCK:
		return "give another " + flag + " (a program may listen on it)"
	}
	return "give another " + flag
}
