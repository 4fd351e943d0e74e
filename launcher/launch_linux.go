package launcher

import "golang.org/x/sys/unix"

// CloseOnExecFrom3 marks every descriptor from 3 up close-on-exec, so that none this
// process inherited reaches what it executes, yet all stay open here (socket activation's
// among them): close_range(2) with CLOSE_RANGE_CLOEXEC (Linux 5.11), else the list in
// /proc/self/fd, else every number.
func CloseOnExecFrom3() {
	if err := unix.CloseRange(3, ^uint(0), unix.CLOSE_RANGE_CLOEXEC); err == nil {
		return
	}
	if err := closeOnExecDir("/proc/self/fd"); err == nil {
		return
	}
	closeOnExecScan()
}
