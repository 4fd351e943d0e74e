package supervisor

import (
	"io/fs"
	"net"
	"os"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/daemonkit/daemonkit/internal/sockfile"
)

// listenUnix listens on a unix stream socket at path whose file has mode before any client
// can connect: it binds, sets the mode, and only then listens (a client's connect to a
// bound socket that does not listen yet is refused). Mode 0 leaves the mode the umask
// gives. The process's umask is never changed, so files and programs other goroutines
// create meanwhile keep theirs. The listener does not remove path when closed.
func listenUnix(path string, mode fs.FileMode) (*net.UnixListener, error) {
	addr := &net.UnixAddr{Name: path, Net: "unix"}
	opErr := func(call string, err error) error {
		return &net.OpError{Op: "listen", Net: "unix", Addr: addr, Err: os.NewSyscallError(call, err)}
	}
	syscall.ForkLock.RLock() // no fork may inherit it before it is close-on-exec
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err == nil {
		unix.CloseOnExec(fd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return nil, opErr("socket", err)
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close() // the listener holds a duplicate
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		return nil, opErr("bind", err)
	}
	if mode != 0 {
		if err := sockfile.Chmod(path, mode); err != nil { // never through a symlink put there since
			os.Remove(path)
			return nil, err
		}
	}
	if err := unix.Listen(fd, unix.SOMAXCONN); err != nil {
		os.Remove(path)
		return nil, opErr("listen", err)
	}
	ln, err := net.FileListener(f)
	if err != nil {
		os.Remove(path)
		return nil, err
	}
	ul := ln.(*net.UnixListener)
	ul.SetUnlinkOnClose(false)
	return ul, nil
}
