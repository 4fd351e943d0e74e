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
// show nothing new, empty, and left in place while the instance lives; delete removes it
// (RemoveRecordLock), and a writer that locked it checks that the file it locked is still
// the one at the path, so that two never hold "the" lock. It dies with its holder (a crash leaves the file,
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
//
// The lock it holds is the one on the file at the lock's path when it got it: a lock
// taken on a file removed meanwhile (RemoveRecordLock, between this open and its flock)
// is given up and taken again on a fresh open, within the same recordLockWait and at most
// maxRecordLockOpens times, since another writer's open would make and lock a new file.
func lockRecordHeld(path string) (unlock func(), held bool) {
	lockPath := recordLockPath(path)
	deadline := time.Now().Add(recordLockWait)
	for range maxRecordLockOpens {
		fd, ok := lockRecordFile(lockPath, deadline)
		if !ok {
			return func() {}, false
		}
		if isFileAt(fd, lockPath) {
			lockGivenUp.Delete(lockPath)
			return func() { _ = unix.Close(fd) }, true // closing the last descriptor gives the flock up
		}
		_ = unix.Close(fd) // a removed file's lock, which nobody else looks for
	}
	return func() {}, false
}

// maxRecordLockOpens bounds how often lockRecordHeld opens the lock file anew after
// locking one removed meanwhile: each time, an instance was deleted and written again.
const maxRecordLockOpens = 8

// isFileAt reports whether fd is the file at path now (same device and inode; lstat,
// so a symbolic link put there is not).
func isFileAt(fd int, path string) bool {
	var open, at unix.Stat_t
	if unix.Fstat(fd, &open) != nil || unix.Lstat(path, &at) != nil {
		return false
	}
	return open.Dev == at.Dev && open.Ino == at.Ino
}

// lockRecordFile opens (making it if need be) the lock file at lockPath and flocks it,
// waiting for it until deadline once, and returns its descriptor, locked (ok), or
// nothing: it is not this user's regular file, cannot be opened or locked, or was waited
// for in vain (then or before, see lockGivenUp).
func lockRecordFile(lockPath string, deadline time.Time) (int, bool) {
	fd, err := unix.Open(lockPath, unix.O_RDONLY|unix.O_CREAT|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return -1, false
	}
	unlock := func() { _ = unix.Close(fd) }
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil || int(st.Uid) != os.Geteuid() || st.Mode&unix.S_IFMT != unix.S_IFREG {
		unlock()
		return -1, false
	}
	switch err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB); {
	case err == nil:
		return fd, true
	case !errors.Is(err, unix.EWOULDBLOCK):
		unlock()
		return -1, false
	}
	if _, gaveUp := lockGivenUp.Load(lockPath); gaveUp {
		unlock()
		return -1, false // still held: no second wait
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
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case err := <-got:
		if err != nil {
			unlock()
			return -1, false
		}
		return fd, true
	case <-t.C:
		lockGivenUp.Store(lockPath, struct{}{})
		go func() {
			if <-got == nil {
				// The lock is free again: this process waits for it again, rather than
				// take its own leftover waiter, which holds it a moment, for the frozen holder.
				lockGivenUp.Delete(lockPath)
			}
			unlock()
		}()
		return -1, false
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
// it stays. It removes it holding the lock, so a writer that opened it just before gets
// the removed file's lock only after the removal, sees the file gone from the path, and
// locks the one at the path anew (see lockRecordHeld): two writers never both hold it.
func RemoveRecordLock(path string) {
	lockPath := recordLockPath(path)
	if removeLocked(lockPath, func(int) bool { return true }) {
		lockGivenUp.Delete(lockPath)
	}
}

// removeLocked removes the lock file at path, this user's regular file, if nobody holds
// its flock and remove(fd), asked with the file open and locked, says so; and reports
// whether it did. It removes it holding the lock, and only the file it locked: another
// remover may have removed it since the open, and a writer made and locked a new one at
// the path, which must stay; a locker that opened it before the removal gets its lock
// after, sees the file gone from the path, and takes the one at the path (isFileAt).
func removeLocked(path string, remove func(fd int) bool) bool {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil || int(st.Uid) != os.Geteuid() || st.Mode&unix.S_IFMT != unix.S_IFREG {
		return false
	}
	if testHookRemoveOpened != nil {
		testHookRemoveOpened()
	}
	if unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB) != nil || !isFileAt(fd, path) || !remove(fd) {
		return false
	}
	return os.Remove(path) == nil
}

// testHookRemoveOpened, when set by a test, runs when RemoveRecordLock has opened the lock
// file and before it locks it.
var testHookRemoveOpened func()
