package instance

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"syscall"

	"github.com/daemonkit/daemonkit/internal/keepfile"
	"golang.org/x/sys/unix"
)

// A record is written whole into a new file that is renamed over the old one, so that a
// reader sees one or the other. On a full disk (or over quota) that new file gets no
// blocks, and in a directory this user may no longer write (chmod 0555) it cannot be made
// at all: a stop could not say the daemon stopped, and the record went on saying it runs,
// which reads, once the daemon is gone, as a daemon that crashed ("failed"). The old
// record's own blocks are still there, though, and still this user's to write, and
// rewriteInPlace writes the new record into them, needing nothing new: compact, where the
// old one is indented, so it fits.
//
// A reader of the record takes no lock, so it may read while the record is rewritten. The
// rewrite first makes the record's first byte one that no JSON begins with, then writes
// the rest, then the first byte: a reader that reads the first byte meanwhile reads no
// JSON (ReadRecord: ErrBadRecord, which status notes as a record it cannot read; a second
// look finds the new one), and one that reads it after reads the new record whole. Only
// a reader that read the first byte before the rewrite began and the rest after it had
// written some could read a mix, and then only if the mix is JSON: a read of a few
// kilobytes outlasting the rewrite's writes, which take microseconds.

// inPlaceFallback is WriteRecord's answer to err, its failure to write r whole to path:
// nil if err is a full disk's and the record could be rewritten in place, else err, with
// why it could not be.
func inPlaceFallback(path string, r Record, err error) error {
	if !inPlaceErr(err) {
		return err
	}
	b, jerr := inPlaceJSON(r)
	if jerr == nil {
		jerr = rewriteInPlace(path, b, recordMode(r))
	}
	switch {
	case jerr == nil:
		return nil
	case errors.Is(jerr, os.ErrNotExist):
		return err // no record to rewrite (a first start's): nothing to say of it
	}
	return fmt.Errorf("%w (nor in place: %w)", err, jerr)
}

// inPlaceErr reports whether err, from writing a record whole, is one that
// rewriteInPlace may get around: the file system has no block for a new file, or the
// directory takes no new file from this user (a read-only file system does not: its
// files cannot be written either).
func inPlaceErr(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) ||
		errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EPERM)
}

// rewriteInPlace writes b, the new record's JSON, into the record at path, which
// checkOverwrite has found to be this user's record, within the blocks the file already
// has (padded with spaces to the old size, so nothing of the old is left), gives the file
// mode, and syncs it. It fails, changing nothing, if there is no record at path, or b does
// not fit in its blocks. If a write after the first fails (an I/O error), the record is
// left as it is then, unreadable, its first byte '#': WriteRecord replaces such a file
// (midRewrite), so the next write puts a whole record back.
func rewriteInPlace(path string, b []byte, mode os.FileMode) error {
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fmt.Errorf("stat: %w", err)
	}
	switch room := max(st.Blocks*512, st.Size); {
	case st.Mode&unix.S_IFMT != unix.S_IFREG, int(st.Uid) != os.Geteuid(), st.Mode&0o022 != 0, st.Nlink != 1:
		return errors.New("the record changed since it was read: not rewritten")
	case st.Size == 0:
		return errors.New("no record to rewrite")
	case int64(len(b)) > room:
		return fmt.Errorf("the new record (%d bytes) does not fit in the old one's blocks (%d bytes)", len(b), room)
	}
	if pad := st.Size - int64(len(b)); pad > 0 {
		b = append(b, bytes.Repeat([]byte{' '}, int(pad))...)
	}
	for _, w := range []struct {
		b  []byte
		at int64
	}{{[]byte{'#'}, 0}, {b[1:], 1}, {b[:1], 0}} { // no JSON begins with '#'
		if _, err := unix.Pwrite(fd, w.b, w.at); err != nil {
			return fmt.Errorf("write in place: %w", err)
		}
	}
	if err := f.Chmod(mode); err != nil {
		return fmt.Errorf("chmod: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	return nil
}

// inPlaceJSON is r as rewriteInPlace writes it: compact JSON (a rewrite must fit in the
// old record's blocks), which ReadRecord reads as it reads the indented kind.
func inPlaceJSON(r Record) ([]byte, error) { return json.Marshal(r) }

// recordMode is the mode WriteRecord gives the record r: 0600, sticky while it is of a
// run that matters still (see WriteRecord).
func recordMode(r Record) os.FileMode {
	mode := os.FileMode(0o600)
	if r.State == StateRunning || r.State == StateStopping || r.Invocation != "" {
		mode |= keepfile.Mode
	}
	return mode
}

// midRewrite reports whether b, a record file's content, is one rewriteInPlace left half
// way: its first byte '#', then a record's first field, of the new record (compact) or of
// the old one (indented). No other file begins so.
func midRewrite(b []byte) bool {
	rest, ok := bytes.CutPrefix(b, []byte{'#'})
	return ok && bytes.HasPrefix(bytes.TrimLeft(rest, " \n"), []byte(`"name":`))
}
