package instance

import (
	"errors"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// exchangeInto puts tmp, a whole new record, at path in place of was, the record file it
// was made from, atomically, and never where path names nothing: it exchanges the two
// (renameat2 RENAME_EXCHANGE), which fails if path was removed (errRecordGone), and, if
// what it took out of path is not was (another writer replaced it meanwhile), exchanges
// them back (errRecordChanged). A file system that cannot exchange falls back on
// renameIfSame.
func exchangeInto(tmp, path string, was fileID) error {
	err := unix.Renameat2(unix.AT_FDCWD, tmp, unix.AT_FDCWD, path, unix.RENAME_EXCHANGE)
	switch {
	case errors.Is(err, unix.ENOENT):
		return errRecordGone
	case errors.Is(err, unix.EINVAL), errors.Is(err, unix.ENOSYS), errors.Is(err, unix.EOPNOTSUPP):
		return renameIfSame(tmp, path, was)
	case err != nil:
		return &os.LinkError{Op: "exchange", Old: tmp, New: path, Err: err}
	}
	if testHookAfterExchange != nil {
		testHookAfterExchange()
	}
	if id, err := lstatID(tmp); err == nil && id != was {
		// Replaced since it was read: the other writer's record goes back.
		if err := unix.Renameat2(unix.AT_FDCWD, tmp, unix.AT_FDCWD, path, unix.RENAME_EXCHANGE); err != nil {
			return &os.LinkError{Op: "exchange back", Old: tmp, New: path, Err: err}
		}
		return errRecordChanged
	}
	_ = os.Remove(tmp) // the old record: best effort, the new one is in place
	return nil
}

// createInto puts tmp, a whole new record, at path only if path names nothing: a rename
// that never replaces (renameat2 RENAME_NOREPLACE), or, on a file system that cannot,
// linkInto. A record written at path meanwhile is left as it is: errRecordChanged.
func createInto(tmp, path string) error {
	err := unix.Renameat2(unix.AT_FDCWD, tmp, unix.AT_FDCWD, path, unix.RENAME_NOREPLACE)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, unix.EEXIST):
		return errRecordChanged
	case errors.Is(err, unix.EINVAL), errors.Is(err, unix.ENOSYS), errors.Is(err, unix.EOPNOTSUPP):
		return linkInto(tmp, path)
	}
	return &os.LinkError{Op: "rename without replacing", Old: tmp, New: path, Err: err}
}

// idOf is the fileID of what fi describes.
func idOf(fi os.FileInfo) fileID {
	st, _ := fi.Sys().(*syscall.Stat_t)
	if st == nil {
		return fileID{}
	}
	return fileID{dev: st.Dev, ino: st.Ino}
}
