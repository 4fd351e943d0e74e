//go:build !linux

package instance

import (
	"os"
	"syscall"
)

// exchangeInto puts tmp, a whole new record, at path in place of was, the record file it
// was made from: renameIfSame, for want of an exchange of two files here.
func exchangeInto(tmp, path string, was fileID) error { return renameIfSame(tmp, path, was) }

// createInto puts tmp, a whole new record, at path only if path names nothing: linkInto.
func createInto(tmp, path string) error { return linkInto(tmp, path) }

// idOf is the fileID of what fi describes.
func idOf(fi os.FileInfo) fileID {
	st, _ := fi.Sys().(*syscall.Stat_t)
	if st == nil {
		return fileID{}
	}
	return fileID{dev: uint64(st.Dev), ino: uint64(st.Ino)}
}
