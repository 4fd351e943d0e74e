//go:build linux

package proc

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// handle is a pidfd. fd is -1 once closed; nopidfd says the kernel refused pidfd_open and
// the handle falls back to the pid alone.
type handle struct {
	mu      sync.RWMutex
	fd      int
	nopidfd bool
	closed  bool
}

// running reads the state field of /proc/PID/stat. Where /proc cannot say (not mounted,
// hidepid), it falls back to kill(2), which cannot tell a zombie.
func running(pid int) (bool, error) {
	st, err := ReadStat(pid)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
		return killAlive(pid)
	}
	if err != nil {
		return false, err
	}
	return !st.Zombie(), nil
}

func open(pid int) (*Process, error) {
	fd, err := unix.PidfdOpen(pid, 0)
	switch {
	case err == nil:
	case errors.Is(err, unix.ESRCH):
		return nil, ErrGone
	case errors.Is(err, unix.ENOSYS), errors.Is(err, unix.EPERM):
		// Kernel older than 5.3, or a seccomp filter that refuses pidfds: use the pid.
		alive, err := running(pid)
		if err != nil {
			return nil, err
		}
		if !alive {
			return nil, ErrGone
		}
		return &Process{pid: pid, h: handle{fd: -1, nopidfd: true}}, nil
	default:
		return nil, fmt.Errorf("pidfd_open %d: %w", pid, err)
	}
	// Non-blocking, so that Wait can hand a duplicate to the runtime's poller. On a pidfd
	// the flag changes only waitid(2), which is not used.
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("pidfd of pid %d: set non-blocking: %w", pid, err)
	}
	exited, err := pidfdExited(fd)
	if err == nil && exited {
		err = ErrGone // pidfd_open succeeds on a zombie
	}
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	return &Process{pid: pid, h: handle{fd: fd}}, nil
}

// pidfdExited reports whether the process of a pidfd has exited (or is a zombie): the pidfd
// is then readable.
func pidfdExited(fd int) (bool, error) {
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	for {
		n, err := unix.Poll(fds, 0)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return false, fmt.Errorf("poll pidfd: %w", err)
		}
		if n == 0 {
			return false, nil
		}
		if fds[0].Revents&unix.POLLNVAL != 0 {
			return false, fmt.Errorf("poll pidfd: %w", unix.EBADF)
		}
		return true, nil // POLLIN, or POLLHUP once the process is reaped
	}
}

func (h *handle) signal(pid int, sig syscall.Signal) error {
	h.mu.RLock()
	defer h.mu.RUnlock()
	switch {
	case h.closed:
		return os.ErrClosed
	case h.nopidfd:
		return killSignal(pid, sig)
	}
	// A zombie accepts signals without complaint; look first so it reads as gone.
	exited, err := pidfdExited(h.fd)
	if err != nil {
		return err
	}
	if exited {
		return ErrGone
	}
	if err := unix.PidfdSendSignal(h.fd, sig, nil, 0); err != nil {
		if errors.Is(err, unix.ESRCH) {
			return ErrGone
		}
		return fmt.Errorf("pidfd_send_signal: %w", err)
	}
	return nil
}

// wait waits for a duplicate of the pidfd to become readable in the runtime's poller: no OS
// thread blocks and nothing polls on a timer. ctx ending sets a past read deadline on the
// duplicate, which wakes the wait at once.
func (h *handle) wait(ctx context.Context, pid int) error {
	f, err := h.dup(pid)
	if err != nil {
		if errors.Is(err, errNoPidfd) {
			return pollWait(ctx, pid)
		}
		return err
	}
	defer f.Close()
	rc, err := f.SyscallConn()
	if err != nil {
		return fmt.Errorf("pidfd: %w", err)
	}
	if err := f.SetReadDeadline(time.Time{}); err != nil {
		// Not in the poller: cannot happen with a pidfd, but never spin on it.
		return fmt.Errorf("pidfd cannot be waited on: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { _ = f.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	var pollErr error
	err = rc.Read(func(fd uintptr) bool {
		var exited bool
		exited, pollErr = pidfdExited(int(fd))
		return exited || pollErr != nil
	})
	switch {
	case pollErr != nil:
		return pollErr
	case err == nil:
		return nil
	case errors.Is(err, os.ErrDeadlineExceeded) && ctx.Err() != nil:
		var exited bool // look once more: an exited process wins over the ctx
		if cerr := rc.Control(func(fd uintptr) { exited, pollErr = pidfdExited(int(fd)) }); cerr != nil {
			return fmt.Errorf("pidfd: %w", cerr)
		}
		if pollErr != nil {
			return pollErr
		}
		if exited {
			return nil
		}
		return ctx.Err()
	default:
		return fmt.Errorf("wait on pidfd: %w", err)
	}
}

var errNoPidfd = errors.New("no pidfd")

// dup returns a duplicate of the pidfd as a file in the runtime's poller, errNoPidfd for a
// handle without a pidfd, or an error wrapping os.ErrClosed after Close.
func (h *handle) dup(pid int) (*os.File, error) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	switch {
	case h.closed:
		return nil, os.ErrClosed
	case h.nopidfd:
		return nil, errNoPidfd
	}
	fd, err := unix.FcntlInt(uintptr(h.fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("duplicate pidfd: %w", err)
	}
	return os.NewFile(uintptr(fd), "pidfd:"+strconv.Itoa(pid)), nil
}

// awaitReaped polls a duplicate of the pidfd for POLLHUP, which the kernel (6.9 and later)
// reports once the process has been reaped; a poll, not the runtime's poller, which would
// wake at once for the readable pidfd of a process that has exited.
func (h *handle) awaitReaped(pid int, timeout time.Duration) bool {
	f, err := h.dup(pid)
	if err != nil {
		return false // no pidfd to watch, or closed
	}
	defer f.Close()
	fds := []unix.PollFd{{Fd: int32(f.Fd())}}
	deadline := time.Now().Add(timeout)
	for {
		left := time.Until(deadline)
		if left < 0 {
			return false
		}
		n, err := unix.Poll(fds, int(left.Milliseconds())+1)
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case err != nil || n == 0:
			return false
		}
		return fds[0].Revents&unix.POLLHUP != 0
	}
}

// exitStatus asks the pidfd for its process's exit status (PIDFD_GET_INFO with
// PIDFD_INFO_EXIT), which the kernel keeps once the process has been reaped.
func (h *handle) exitStatus() (syscall.WaitStatus, bool) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if h.closed || h.nopidfd {
		return 0, false
	}
	info := unix.PidfdInfo{Mask: unix.PIDFD_INFO_EXIT}
	if err := unix.IoctlPidfdInfo(h.fd, &info); err != nil || info.Mask&unix.PIDFD_INFO_EXIT == 0 {
		return 0, false // a kernel before 6.15 (ENOTTY, EINVAL), or not reaped yet
	}
	return syscall.WaitStatus(info.Exit_code), true
}

func (h *handle) close() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil
	}
	h.closed = true
	if h.fd < 0 {
		return nil
	}
	err := unix.Close(h.fd)
	h.fd = -1
	if err != nil {
		return fmt.Errorf("close pidfd: %w", err)
	}
	return nil
}
