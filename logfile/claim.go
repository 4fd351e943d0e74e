package logfile

import (
	"errors"
	"io/fs"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// A daemon that writes a log claims it (Claim): it holds a shared flock on a descriptor
// of the log's file of its own, close-on-exec, which nothing else shares: not
// the descriptors 1 and 2 its program and the strategies' intermediates inherit, nor a
// re-exec. The claim then dies with the daemon, whatever it left running, and a start
// about to write the log asks whether one holds it (CheckUnclaimed) without reading
// anything of other processes: an exclusive flock that fails at once. The claim is shared,
// so that daemons given one log on purpose (--log, a name of the user's choosing) each
// hold it; a start asks only of a log named after its instance (see cli's logClaimed).
// Only regular files are claimed:
// /dev/null, a FIFO or a terminal is no file whose lines would mix. A file system that
// refuses flock (NFS without locks, some FUSE: EOPNOTSUPP, ENOLCK) cannot tell, and is
// taken for unclaimed, as a log is by a daemonkit from before the claim.

// ErrClaimed means another process, a daemon writing the log, holds its claim.
var ErrClaimed = errors.New("another daemon writes it")

// claimWait bounds how long a claim, or a check of one, waits for a holder to let go: a
// check holds it for a few microseconds, a daemon for its life.
const claimWait = 50 * time.Millisecond

// claimFlags open a log to claim it: never creating, never following a symlink, never
// blocking on a FIFO, never taking a terminal.
const claimFlags = unix.O_RDONLY | unix.O_NOFOLLOW | unix.O_NONBLOCK | unix.O_NOCTTY | unix.O_CLOEXEC

// CheckUnclaimed reports whether a daemon writes the log at path now (it holds its claim):
// then an *fs.PathError with Op "check log" wrapping ErrClaimed; nil when nobody does,
// when there is no file at path yet, when it is not a regular file, and when it cannot
// tell (the file cannot be opened for reading, or its file system refuses flock). It
// holds the claim itself for the moment of the check, and waits up to claimWait for
// another check to end.
func CheckUnclaimed(path string) error {
	fd, ok := openToClaim(path, -1)
	if !ok {
		return nil
	}
	defer unix.Close(fd)
	if err := lockWithin(fd, unix.LOCK_EX, claimWait); errors.Is(err, unix.EWOULDBLOCK) {
		return &fs.PathError{Op: "check log", Path: path, Err: ErrClaimed}
	}
	return nil
}

// openToClaim opens the regular file at path for a claim, close-on-exec, and reports
// whether it did. With writing 0 or more, the file must be the one open at descriptor
// writing: the file the daemon writes, not one logrotate put at path since.
func openToClaim(path string, writing int) (int, bool) {
	fd, err := unix.Open(path, claimFlags, 0)
	if err != nil {
		return -1, false
	}
	var st, at unix.Stat_t
	ok := unix.Fstat(fd, &st) == nil && uint32(st.Mode)&unix.S_IFMT == unix.S_IFREG
	if ok && writing >= 0 {
		ok = unix.Fstat(writing, &at) == nil && at.Dev == st.Dev && at.Ino == st.Ino
	}
	if !ok {
		unix.Close(fd)
		return -1, false
	}
	return fd, true
}

// lockWithin takes a flock of kind how (LOCK_EX, LOCK_SH) on fd, trying again for up to
// wait while another holds one that excludes it (EWOULDBLOCK then, if it still does);
// other errors (EOPNOTSUPP, ENOLCK) are returned at once.
func lockWithin(fd, how int, wait time.Duration) error {
	end := time.Now().Add(wait)
	for backoff := 500 * time.Microsecond; ; backoff = min(2*backoff, 8*time.Millisecond) {
		err := unix.Flock(fd, how|unix.LOCK_NB)
		if !errors.Is(err, unix.EWOULDBLOCK) && !errors.Is(err, unix.EINTR) {
			return err
		}
		if errors.Is(err, unix.EWOULDBLOCK) && time.Now().After(end) {
			return err
		}
		time.Sleep(backoff) // a polling step: a flock's release wakes nobody who did not block
	}
}

// Claim is a daemon's claim on the log it writes (see above). Its methods are safe for
// concurrent use; the zero value claims nothing.
type Claim struct {
	mu sync.Mutex
	fd int // the claimed file's descriptor; -1 or 0 (the zero value) for none
	ok bool
}

// ClaimLog claims the log at path, the file open at descriptor writing (2 for a daemon),
// for as long as the process runs or until Release, beside any other daemon's claim of it:
// an error wrapping ErrClaimed only when a check holds it past claimWait, and a Claim of nothing (nil error) when it
// cannot tell (see CheckUnclaimed) or path names another file than writing's now.
func ClaimLog(path string, writing int) (*Claim, error) {
	c := &Claim{}
	fd, ok := openToClaim(path, writing)
	if !ok {
		return c, nil
	}
	switch err := lockWithin(fd, unix.LOCK_SH, claimWait); {
	case errors.Is(err, unix.EWOULDBLOCK):
		unix.Close(fd)
		return nil, &fs.PathError{Op: "claim log", Path: path, Err: ErrClaimed}
	case err != nil:
		unix.Close(fd) // cannot tell: nothing to hold
		return c, nil
	}
	c.fd, c.ok = fd, true
	return c, nil
}

// Move claims the log at path, the file that writing names since a reopen, in place of
// the file claimed until now, which is given up: it is no longer the log (logrotate moved
// it away). The same file still (a reopen with nothing moved) stays claimed as it is. The
// error says the new file is claimed by another daemon.
func (c *Claim) Move(path string, writing int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ok && sameFile(c.fd, writing) {
		return nil
	}
	if c.ok {
		_ = unix.Close(c.fd)
	}
	c.fd, c.ok = -1, false
	next, err := ClaimLog(path, writing)
	if err != nil {
		return err
	}
	c.fd, c.ok = next.fd, next.ok
	return nil
}

// sameFile reports whether descriptors a and b are of one file.
func sameFile(a, b int) bool {
	var sa, sb unix.Stat_t
	return unix.Fstat(a, &sa) == nil && unix.Fstat(b, &sb) == nil && sa.Dev == sb.Dev && sa.Ino == sb.Ino
}

// Release gives the claim up. It may be called more than once.
func (c *Claim) Release() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ok {
		_ = unix.Close(c.fd)
	}
	c.fd, c.ok = -1, false
}
