package notify

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// RemoveStale removes the notify sockets in dir that nothing listens on any more: what a
// manager killed with SIGKILL left (a daemon killed by start for not being ready, or by
// stop past its timeout), which no Close removed. A socket is stale when a datagram
// connect to it is refused: a live manager's is bound from the moment it exists, but for
// an instant inside bind(2), after the file is made; so one younger than youngSocket is
// looked at again, once, after bindSettle. Only files named as Listen names them, and that
// are sockets, are looked at. It returns the paths it removed; what it cannot read or
// remove it leaves, silently.
func RemoveStale(dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var stale, young []string
	for _, e := range entries {
		if !ourName(e.Name()) || e.Type()&os.ModeSocket == 0 {
			continue
		}
		path := filepath.Join(dir, e.Name())
		info, err := e.Info()
		switch {
		case err != nil || listened(path):
		case time.Since(info.ModTime()) < youngSocket:
			young = append(young, path)
		default:
			stale = append(stale, path)
		}
	}
	if len(young) > 0 {
		time.Sleep(bindSettle) // a second look, not a guess: a bind in progress has ended by then
		for _, path := range young {
			if !listened(path) {
				stale = append(stale, path)
			}
		}
	}
	var removed []string
	for _, path := range stale {
		if err := os.Remove(path); err == nil {
			removed = append(removed, path)
		}
	}
	return removed
}

// youngSocket is the age under which a refused socket may be a live manager's still
// binding, and bindSettle how long RemoveStale waits before it looks at such a one again.
const (
	youngSocket = 2 * time.Second
	bindSettle  = 100 * time.Millisecond
)

// ourName reports whether name is one Listen gives a socket: the prefix, then the random
// bytes in lower-case hex.
func ourName(name string) bool {
	hex, ok := strings.CutPrefix(name, socketPrefix)
	return ok && len(hex) == 2*socketRandomBytes && strings.Trim(hex, "0123456789abcdef") == ""
}

// listened reports whether something is bound to the datagram socket at path; when it
// cannot tell, it says yes, so that nothing is removed on a doubt.
func listened(path string) bool {
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return true
	}
	defer syscall.Close(fd)
	err = syscall.Connect(fd, &syscall.SockaddrUnix{Name: path})
	return !errors.Is(err, syscall.ECONNREFUSED)
}
