package instance

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Every writer of a record of this build (a daemon and its supervisor's updates, start's
// launcher, stop, restart, upgrade, delete) holds the record's lock while it writes, and
// a command that changes a record holds it from its read to its write (updateRecord), so
// that no two of them interleave: before it, a stop that read the record, then exchanged
// its own in, could put back an older record of the daemon's when the daemon wrote twice
// between the exchange and the check that undoes it. An older build writes without the
// lock: against it the exchange is still the guard (see updateRecord), as it was.
//
// The lock is an flock on .NAME.json.lock beside the record: hidden, so that list and ls
// show nothing new, empty, and left in place, since removing a lock file others may have
// open would let two hold "the" lock. It dies with its holder (a crash leaves the file,
// which then says nothing). Lock order: the record lock is always the last taken and the
// first given up. Its holder takes no other lock (a pidfile, a start lock) and waits for
// no process while it holds it, only for its own write; so a daemon holding its pidfile
// for life, or a start holding its start lock, takes it without a cycle, and no holder
// waits on another's lock but this one's, which is held for a write's milliseconds.

// recordLockWait bounds how long a writer waits for the record lock. A holder holds it
// for a write (milliseconds); one frozen (SIGSTOP) must not stop a stop: past the wait,
// the writer writes without the lock, guarded by the exchange as against an older build,
// and so does every later write of this process to that record while the lock stays
// taken (lockGivenUp), so that a command or a daemon pays the wait once, not once a write.
const recordLockWait = time.Second

// lockGivenUp holds the paths of the record locks this process waited for in vain: a
// writer tries such a lock once, without waiting, until it gets it again.
var lockGivenUp sync.Map

// testHookRecordLockBusy, when set by a test, runs when lockRecord finds the lock held.
var testHookRecordLockBusy func()

// recordLockPath is the path of the lock of the record at path.
func recordLockPath(path string) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".lock")
}

// lockRecord takes the lock of the record at path, and returns what gives it up. It
// never fails (see lockRecordHeld).
func lockRecord(path string) (unlock func()) {
	unlock, _ = lockRecordHeld(path)
	return unlock
}

// lockRecordHeld is lockRecord, and whether it holds the lock. It never fails: where the
// lock file cannot be made or opened (a read-only directory), is not this user's, or the
// lock stays held past recordLockWait, it returns at once, or then, holding nothing
// (held false), and the write goes on unlocked, as an older build's would.
func lockRecordHeld(path string) (unlock func(), held bool) {
	fd, err := unix.Open(recordLockPath(path), unix.O_RDONLY|unix.O_CREAT|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return func() {}, false
	}
	unlock = func() { _ = unix.Close(fd) } // closing the last descriptor gives the flock up
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil || int(st.Uid) != os.Geteuid() || st.Mode&unix.S_IFMT != unix.S_IFREG {
		unlock()
		return func() {}, false
	}
	lockPath := recordLockPath(path)
	switch err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB); {
	case err == nil:
		lockGivenUp.Delete(lockPath)
		return unlock, true
	case !errors.Is(err, unix.EWOULDBLOCK):
		unlock()
		return func() {}, false
	}
	if _, gaveUp := lockGivenUp.Load(lockPath); gaveUp {
		unlock()
		return func() {}, false // still held: no second wait
	}
	if testHookRecordLockBusy != nil {
		testHookRecordLockBusy()
	}
	// A blocking flock, which the kernel wakes at the release (a polling one could lose
	// every race to a writer that takes it again at once), on a goroutine of its own,
	// since nothing cuts it short: past the wait it is left to end, and then gives the
	// lock up at once.
	got := make(chan error, 1)
	go func() {
		got <- ignoringEINTR(func() error { return unix.Flock(fd, unix.LOCK_EX) })
	}()
	t := time.NewTimer(recordLockWait)
	defer t.Stop()
	select {
	case err := <-got:
		if err != nil {
			unlock()
			return func() {}, false
		}
		lockGivenUp.Delete(lockPath)
		return unlock, true
	case <-t.C:
		lockGivenUp.Store(lockPath, struct{}{})
		release := unlock // not the result, which the return below sets
		go func() {
			if <-got == nil {
				// The lock is free again: this process waits for it again, rather than
				// take its own leftover waiter, which holds it a moment, for the frozen holder.
				lockGivenUp.Delete(lockPath)
			}
			release()
		}()
		return func() {}, false
	}
}

// ignoringEINTR is f's error, f called again while it is EINTR.
func ignoringEINTR(f func() error) error {
	for {
		if err := f(); !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

// RemoveRecordLock removes the lock file of the record at path, for an instance whose
// record is gone for good (delete), where nobody holds the lock: held, or not this user's,
// it stays. A writer that opened it just before may then lock the removed file while
// another makes a new one; the exchange still guards their writes, as against an older
// build (see updateRecord).
func RemoveRecordLock(path string) {
	lockPath := recordLockPath(path)
	fd, err := unix.Open(lockPath, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil || int(st.Uid) != os.Geteuid() || st.Mode&unix.S_IFMT != unix.S_IFREG {
		return
	}
	if unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB) == nil {
		_ = os.Remove(lockPath)
		lockGivenUp.Delete(lockPath)
	}
}
