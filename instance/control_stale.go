package instance

import (
	"errors"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/daemonkit/daemonkit/pidfile"
)

// controlDialWait bounds the connect by which RemoveStaleControl tells a stale control
// socket: a refused one answers at once.
const controlDialWait = time.Second

// RemoveStaleControl removes the control socket (Paths.ControlSocket) that a supervisor
// killed with SIGKILL left, which no close removed, and reports whether it did: only a
// socket of this user's, while the instance's pidfile is held by nobody (a supervisor
// takes it before it makes its socket), on which a connect is refused (nothing listens),
// and which is still the same file once refused. A live supervisor's, a file that is not a
// socket, and what cannot be looked at are left alone.
func RemoveStaleControl(p Paths) bool {
	path := p.ControlSocket()
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode()&os.ModeSocket == 0 || !ownFile(fi) {
		return false
	}
	if st, err := pidfile.Probe(p.PIDFile); err != nil || st.State == pidfile.Running {
		return false
	}
	c, err := net.DialTimeout("unix", path, controlDialWait)
	if err == nil {
		_ = c.Close()
		return false
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		return false
	}
	if again, err := os.Lstat(path); err != nil || !os.SameFile(fi, again) {
		return false // replaced meanwhile: a new supervisor's
	}
	return os.Remove(path) == nil
}

// ownFile reports whether fi is of a file the effective user owns.
func ownFile(fi os.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Geteuid()
}
