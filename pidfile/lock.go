package pidfile

import (
	"errors"
	"io"
	"sync"

	"golang.org/x/sys/unix"
)

// reg serialises every operation of this package within the process and records the
// files the process holds. Closing any descriptor of a file drops the process's POSIX locks
// on it, so a descriptor is closed only while mu is held and only if its file is not held;
// a descriptor of a held file opened by a race is parked on its holder and closed by
// Release.
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
	_ = unix.Close(fd) // read-only use or lock not taken: nothing to lose
}

// writeLock describes a write lock on the whole file.
func writeLock() unix.Flock_t {
	return unix.Flock_t{Type: unix.F_WRLCK, Whence: io.SeekStart, Start: 0, Len: 0}
}

// setLock tries to take the write lock without waiting. It returns false, nil when
// another process holds a conflicting lock.
func setLock(fd int) (bool, error) {
	for {
		lk := writeLock()
		err := unix.FcntlFlock(uintptr(fd), unix.F_SETLK, &lk)
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

// getLock asks the kernel who holds a lock conflicting with a write lock. It returns
// locked false when nobody does. The pid is 0 when the kernel names no usable pid (below 2:
// an OFD lock, or a holder outside this pid namespace). Locks held by this process itself
// are never reported.
func getLock(fd int) (pid int, locked bool, err error) {
	for {
		lk := writeLock()
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
		if pid < 2 {
			pid = 0
		}
		return pid, true, nil
	}
}
