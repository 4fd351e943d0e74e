//go:build !linux

package launcher

// closeOnExecFrom3 marks every descriptor from 3 up close-on-exec: those /dev/fd lists, and
// every number up to the soft RLIMIT_NOFILE (bounded), since /dev/fd may list only 0-2
// (FreeBSD without fdescfs).
func closeOnExecFrom3() {
	_ = closeOnExecDir("/dev/fd")
	closeOnExecScan()
}
