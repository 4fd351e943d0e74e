//go:build !linux

package launcher

// CloseOnExecFrom3 marks every descriptor from 3 up close-on-exec, so that none this
// process inherited reaches what it executes, yet all stay open here: those /dev/fd lists, and
// every number up to the soft RLIMIT_NOFILE (bounded), since /dev/fd may list only 0-2
// (FreeBSD without fdescfs).
func CloseOnExecFrom3() {
	_ = closeOnExecDir("/dev/fd")
	closeOnExecScan()
}
