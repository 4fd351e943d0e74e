package logfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/daemonkit/daemonkit/internal/filekind"
	"github.com/daemonkit/daemonkit/internal/storage"
	"golang.org/x/sys/unix"
)

// ErrNotRegular means the path names a symbolic link, a directory, a FIFO, a socket or a
// device; the error's message says which ("not a regular file: it is a FIFO"). Such a path
// is never written to, and the file a symbolic link points to is never touched.
var ErrNotRegular = errors.New("not a regular file")

// ErrHardLink means the log file has more than one hard link, so appending to it would
// change what another name holds too. Open refuses it before writing anything.
var ErrHardLink = errors.New("file has other hard links")

// ErrNotOwner means the log file is owned by another user than the effective one or root: that
// user could read what the daemon logs and write lines into it that look like its own
// (a root daemon's log in a directory a user may write, such as /tmp). Open refuses it
// before writing anything, as package pidfile refuses another user's pidfile.
var ErrNotOwner = errors.New("log file owned by another user")

// checkRegular refuses anything but a regular file, saying what it is.
func checkRegular(st *unix.Stat_t) error {
	mode := uint32(st.Mode) // uint16 on the BSDs
	if mode&unix.S_IFMT != unix.S_IFREG {
		return fmt.Errorf("%w: it is %s", ErrNotRegular, filekind.Of(mode))
	}
	return nil
}

// withFix adds to err, when it refuses the path to write a log to for what the path names
// (ErrNotRegular, ErrHardLink), the fix (filekind.Fix): the other refusals say theirs.
func withFix(path string, err error) error {
	var st unix.Stat_t
	switch {
	case errors.Is(err, ErrNotRegular) && unix.Lstat(path, &st) == nil:
		return fmt.Errorf("%w: %s", err, filekind.Fix(uint32(st.Mode), "--log")) // uint16 on the BSDs
	case errors.Is(err, ErrHardLink):
		return fmt.Errorf("%w: remove its other names, or give another --log", err)
	}
	return err
}

// describeOpenError explains why opening path failed: if the path names something that is
// not a regular file (O_NOFOLLOW met a symlink, which is ELOOP on Linux and EMLINK on
// FreeBSD; a FIFO without a reader or a socket gave ENXIO; a directory gave EISDIR), it says
// what; when the file system refused it (full, a quota, read-only), it says which and the
// fix; otherwise it returns err.
func describeOpenError(path string, err error) error {
	var st unix.Stat_t
	if lerr := unix.Lstat(path, &st); lerr == nil {
		if cerr := checkRegular(&st); cerr != nil {
			return cerr
		}
	}
	return explainStorage(path, err)
}

// explainStorage says of err, when the file system of the log at path refused it (full,
// a quota, read-only), which of them and the fix (storage.Explain).
func explainStorage(path string, err error) error {
	return storage.Explain(err, filepath.Dir(path), "--log-dir (or --log)")
}

// checkReadOwner refuses, for reading, a log another user than the effective one or root
// owns, as Open refuses it for writing: a daemon never writes to one, and its owner could
// have put anything in it, lines that read as the daemon's or escape sequences for the
// terminal that shows them (one made at a log's path in /tmp after logrotate moved it).
func checkReadOwner(st *unix.Stat_t) error {
	if uid := int(st.Uid); uid != os.Geteuid() && uid != 0 {
		return fmt.Errorf("%w: it is owned by uid %d, not by uid %d nor root: no daemon writes to it, and its owner could have put anything in it; refusing to print it (read it yourself if you trust it)", ErrNotOwner, uid, os.Geteuid())
	}
	return nil
}
