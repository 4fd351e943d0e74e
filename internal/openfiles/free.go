package openfiles

import (
	"os"

	"golang.org/x/sys/unix"
)

// Free checks that n more descriptors can be open at once now, under this process's limit
// (RLIMIT_NOFILE) and the system's: it opens /dev/null n times, by raw system calls (which
// make no poller of the Go runtime), and closes each again before it returns. It returns
// how many it could open (n when all), and the error of the open that failed: an
// *os.PathError, with EMFILE or ENFILE where a limit refused it, not yet explained.
func Free(n int) (int, error) {
	fds := make([]int, 0, n)
	defer func() {
		for _, fd := range fds {
			unix.Close(fd)
		}
	}()
	for range n {
		fd, err := unix.Open(os.DevNull, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return len(fds), &os.PathError{Op: "open", Path: os.DevNull, Err: err}
		}
		fds = append(fds, fd)
	}
	return n, nil
}
