package launcher

import (
	"os"

	"golang.org/x/sys/unix"
)

// pendingBytes is how many bytes wait to be read in the pipe r (FIONREAD, which Linux
// calls TIOCINQ), or 0 if that cannot be told. It does not take r out of the runtime's
// poller (as Fd would).
func pendingBytes(r *os.File) int {
	rc, err := r.SyscallConn()
	if err != nil {
		return 0
	}
	n := 0
	_ = rc.Control(func(fd uintptr) {
		if v, err := unix.IoctlGetInt(int(fd), unix.TIOCINQ); err == nil {
			n = v
		}
	})
	return n
}

// writersGone reports whether every writer of the pipe r has closed it (POLLHUP): the
// daemon has written its last word, and closed its end. It does not take r out of the
// runtime's poller.
func writersGone(r *os.File) bool {
	rc, err := r.SyscallConn()
	if err != nil {
		return false
	}
	gone := false
	_ = rc.Control(func(fd uintptr) {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		if n, err := unix.Poll(fds, 0); err == nil && n == 1 {
			gone = fds[0].Revents&unix.POLLHUP != 0
		}
	})
	return gone
}
