package pidfile

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// reg serialises every operation of this package within the process and records the
// files the process holds. Closing any descriptor of a file drops the process's POSIX locks
// on it, so a descriptor is closed only while mu is held and only if its file is not held;
// a descriptor of a held file opened by a race is parked on its holder and closed by
// Release (or by Restore, when the holder moves to a new file).
var reg struct {
	mu   sync.Mutex
	held map[fileID]*File
}

// holderOf returns the File this process holds for id, or nil. Call with reg.mu held.
func holderOf(id fileID) *File {
	return reg.held[id]
}

// hold records f as held. Call with reg.mu held.
func hold(f *File) {
	if reg.held == nil {
		reg.held = make(map[fileID]*File)
	}
	reg.held[f.id] = f
}

// closeFD closes fd, of the file id, unless this process holds that file; then fd is
// parked on the holder. Call with reg.mu held.
func closeFD(fd int, id fileID) {
	if h := holderOf(id); h != nil {
		h.parked = append(h.parked, fd)
		return
	}
	_ = unix.Close(fd) // not a held file: at most it drops a lock this attempt took
}

// The lock protocol, in byte ranges (POSIX fcntl locks, owned by the process):
//
//   - a daemon write-locks the whole file (daemonLock) for its whole life;
//   - who holds the file is asked with F_GETLK for a write lock on byte 0 (queryLock),
//     which only a daemon's lock covers;
//   - a cleaner, which removes a stale file and never writes, write-locks byte 1
//     (cleanerLock): that conflicts with a daemon's lock and with another cleaner's, but a
//     query never sees it.
func daemonLock() unix.Flock_t  { return wrlock(0, 0) }
func queryLock() unix.Flock_t   { return wrlock(0, 1) }
func cleanerLock() unix.Flock_t { return wrlock(1, 1) }

func wrlock(start, length int64) unix.Flock_t {
	return unix.Flock_t{Type: unix.F_WRLCK, Whence: io.SeekStart, Start: start, Len: length}
}

// setLock tries to take lk without waiting. It returns false, nil when another process
// holds a conflicting lock.
func setLock(fd int, lk unix.Flock_t) (bool, error) {
	for {
		l := lk
		err := unix.FcntlFlock(uintptr(fd), unix.F_SETLK, &l)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.EAGAIN), errors.Is(err, unix.EACCES):
			return false, nil
		default:
			return false, err
		}
	}
}

// unlock releases this process's locks on length bytes of fd from start (0: to the end).
func unlock(fd int, start, length int64) error {
	l := unix.Flock_t{Type: unix.F_UNLCK, Whence: io.SeekStart, Start: start, Len: length}
	return unix.FcntlFlock(uintptr(fd), unix.F_SETLK, &l)
}

// getLock asks the kernel whether a daemon holds the file (queryLock: byte 0, so a
// cleaner is never reported). It returns locked false when none does. The pid is 0 when
// the kernel names no usable pid (below 1: an OFD lock, or a holder outside this pid
// namespace); 1 is a holder that is this pid namespace's init, a daemon run as a
// container's PID 1, which callers trust only when they can prove it (see instance).
// Locks held by this process itself are never reported. A read lock, which no daemon
// takes, is an error wrapping ErrReadLocked: its holder is never named as the daemon.
func getLock(fd int) (pid int, locked bool, err error) {
	for {
		lk := queryLock()
		err := unix.FcntlFlock(uintptr(fd), unix.F_GETLK, &lk)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return 0, false, err
		}
		if lk.Type == unix.F_UNLCK {
			return 0, false, nil
		}
		pid := int(lk.Pid)
		if pid < 1 {
			pid = 0
		}
		if lk.Type == unix.F_RDLCK {
			return 0, false, fmt.Errorf("%w (pid %d): anyone who may read the file may take one; find out why it holds it (ls -l /proc/%d/fd)", ErrReadLocked, pid, pid)
		}
		return pid, true, nil
	}
}

// takeLock tries to take lk on fd, of the file at path, without waiting. If a daemon holds
// the file the error is a *LockedError naming it; again is true when the lock is busy but
// no daemon holds it (a cleaner is at work, or the holder just let go): a new attempt will
// tell.
func takeLock(path string, fd int, lk unix.Flock_t) (again bool, err error) {
	ok, err := setLock(fd, lk)
	if err != nil {
		return false, wrapOp("lock", err)
	}
	if ok {
		return false, nil
	}
	pid, locked, err := getLock(fd)
	if err != nil {
		return false, wrapOp("query lock", err)
	}
	if !locked {
		return true, nil
	}
	return false, &LockedError{Path: path, PID: pid}
}

// settleTime bounds how long Acquire, Restore and RemoveStale keep trying while the file
// is replaced under them or its lock is busy with no daemon to name. A variable for tests.
var settleTime = 2 * time.Second

// testHookBusy, when set by a test, runs each time an attempt must be made again.
var testHookBusy func()

// retrying calls attempt with reg.mu held until it reports done or fails, backing off
// between attempts with reg.mu released, and fails with errUnstable once an attempt begun
// after settleTime has not settled either. The deadline is checked against when an
// attempt began, not when it returned: an attempt stalled past settleTime (a loaded
// machine, a slow file system) that saw the file replaced once is followed by another
// look, not by a report that the file kept being replaced.
func retrying(attempt func() (done bool, err error)) error {
	began := time.Now()
	deadline := began.Add(settleTime)
	backoff := time.Millisecond
	for ; ; began = time.Now() {
		reg.mu.Lock()
		done, err := attempt()
		reg.mu.Unlock()
		if done || err != nil {
			return err
		}
		if began.After(deadline) {
			return errUnstable
		}
		if testHookBusy != nil {
			testHookBusy()
		}
		time.Sleep(backoff/2 + rand.N(backoff)) // a back-off with jitter, not a wait for an outcome
		backoff = min(2*backoff, 32*time.Millisecond)
	}
}

// HeldHere reports whether this process holds the file st names, as Acquire's pidfile
// not yet Released. A caller outside this package must not open such a file (through
// another path to it, say a symlinked directory): closing any descriptor of it lets go
// of every POSIX lock the process holds on it, the pidfile's among them.
func HeldHere(st *unix.Stat_t) bool {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	return holderOf(idOf(st)) != nil
}

// KeepIfHeld reports whether fd, a descriptor opened outside this package, is of a file
// this process holds (HeldHere); if so, it keeps fd open until that file is Released,
// as closing it would let go of the lock, and the caller must not close it.
func KeepIfHeld(fd int) bool {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil {
		return false
	}
	h := holderOf(idOf(&st))
	if h != nil {
		h.parked = append(h.parked, fd)
	}
	return h != nil
}
