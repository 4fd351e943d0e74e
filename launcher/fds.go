package launcher

import (
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// maxFDScan bounds the descriptor numbers closeOnExecScan tries when no directory lists
// them: the soft RLIMIT_NOFILE, but no more than this.
const maxFDScan = 1 << 16

// closeOnExecDir marks close-on-exec every descriptor from 3 up that dir (/proc/self/fd,
// /dev/fd) lists. It reports an error if dir cannot be read.
func closeOnExecDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return err
	}
	for _, name := range names {
		if fd, err := strconv.Atoi(name); err == nil && fd >= 3 {
			setCloseOnExec(fd)
		}
	}
	return nil
}

// closeOnExecScan marks close-on-exec every open descriptor from 3 up to the soft
// RLIMIT_NOFILE (at most maxFDScan), trying each number.
func closeOnExecScan() {
	limit := maxFDScan
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err == nil && uint64(rl.Cur) < uint64(limit) {
		limit = int(rl.Cur)
	}
	for fd := 3; fd < limit; fd++ {
		setCloseOnExec(fd)
	}
}

// setCloseOnExec sets FD_CLOEXEC on fd if it is open.
func setCloseOnExec(fd int) {
	flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	if err != nil || flags&unix.FD_CLOEXEC != 0 {
		return // not open (EBADF), or already close-on-exec
	}
	_, _ = unix.FcntlInt(uintptr(fd), unix.F_SETFD, flags|unix.FD_CLOEXEC) // closed meanwhile: fine
}
