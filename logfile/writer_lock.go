package logfile

import (
	"errors"
	"time"

	"golang.org/x/sys/unix"
)

// Every daemon of this build that writes a log holds a shared flock on it, taken where it
// opens the log (Open, Redirect: the launcher's open that the daemon and its program
// inherit, a reopen after logrotate, a foreground's --log): all the processes that write
// through that open file share it (an upgrade's two copies, a supervisor's program), and
// it dies with the last of them. InUse tests it, so that a start can see that another
// daemon writes the log it would write (cli's logOfRunning), whichever started first.
// The null device, and any file that is not a regular one, is never locked: anyone may
// write it. The lock is advisory and best effort: where flock fails (a file system
// without it, or NFS, which takes no shared lock on a file opened for writing only), the
// log is written unlocked, and InUse does not see it.

// writerLockTries bounds how often lockAsWriter tries again while InUse's test holds the
// file exclusively, for microseconds; writerLockPause is the pause between tries.
const (
	writerLockTries = 20
	writerLockPause = time.Millisecond
)

// lockAsWriter takes a shared flock on fd, a log just opened for writing, if it is a
// regular file; best effort, as said above.
func lockAsWriter(fd int) {
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil || uint32(st.Mode)&unix.S_IFMT != unix.S_IFREG {
		return
	}
	for range writerLockTries {
		err := unix.Flock(fd, unix.LOCK_SH|unix.LOCK_NB)
		if !errors.Is(err, unix.EWOULDBLOCK) && !errors.Is(err, unix.EINTR) {
			return
		}
		time.Sleep(writerLockPause)
	}
}

// InUse reports whether a daemon holds the log at path as its writer (see above): false
// for a missing file, one that is not a regular file, and one whose lock cannot be tested.
// It holds the file exclusively for the moment of the test.
func InUse(path string) bool {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil || uint32(st.Mode)&unix.S_IFMT != unix.S_IFREG {
		return false
	}
	err = unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB)
	if err == nil {
		_ = unix.Flock(fd, unix.LOCK_UN)
		return false
	}
	return errors.Is(err, unix.EWOULDBLOCK)
}
