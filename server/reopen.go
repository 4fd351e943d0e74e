package server

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// reopenLog opens path for appending (creating it 0644 if need be) and puts it on
// descriptors 1 and 2, so that everything this process writes to stdout or stderr,
// the logger included, goes to the file now at path. After logrotate renamed the old
// file away, the old one gets no more lines.
func reopenLog(path string) error {
	fd, err := unix.Open(path, unix.O_WRONLY|unix.O_APPEND|unix.O_CREAT|unix.O_CLOEXEC, 0o644)
	if err != nil {
		return fmt.Errorf("open log %q: %w", path, err)
	}
	if fd <= 2 {
		// Descriptor 1 or 2 was closed and Open reused it: give it a fresh number so that
		// both standard descriptors end up as plain duplicates, without close-on-exec.
		nfd, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 3)
		unix.Close(fd)
		if err != nil {
			return fmt.Errorf("open log %q: %w", path, err)
		}
		fd = nfd
	}
	defer unix.Close(fd)
	for _, target := range []int{1, 2} {
		if err := dupOnto(fd, target); err != nil {
			return fmt.Errorf("put log %q on descriptor %d: %w", path, target, err)
		}
	}
	return nil
}
