package supervisor

import (
	"net"

	"golang.org/x/sys/unix"
)

// acceptPastLimit accepts on ln with this process's soft limit on open files one higher,
// if its hard limit allows, and sets it back at once. It sets it with prlimit, not
// setrlimit, so that the copies started after it are still given the limit this process
// was started with (Go's runtime, which raised the soft limit at start, gives them that
// limit back unless setrlimit is called).
func acceptPastLimit(ln *net.UnixListener) (*net.UnixConn, error) {
	var was unix.Rlimit
	if err := unix.Prlimit(0, unix.RLIMIT_NOFILE, nil, &was); err != nil {
		return nil, err
	}
	if was.Cur >= was.Max {
		return nil, unix.EMFILE
	}
	raised := unix.Rlimit{Cur: was.Cur + 1, Max: was.Max}
	if err := unix.Prlimit(0, unix.RLIMIT_NOFILE, &raised, nil); err != nil {
		return nil, err
	}
	defer func() { _ = unix.Prlimit(0, unix.RLIMIT_NOFILE, &was, nil) }()
	return ln.AcceptUnix()
}
