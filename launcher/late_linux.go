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
