package notify

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/daemonkit/daemonkit/internal/random"
	"github.com/daemonkit/daemonkit/internal/sockfile"
	"github.com/daemonkit/daemonkit/internal/storage"
)

// oobSize holds the credentials and as many descriptors as systemd takes (NOTIFY_FD_MAX).
func oobSize() int { return unix.CmsgSpace(unix.SizeofUcred) + unix.CmsgSpace(4*768) }

// Listen creates a datagram socket at a fresh, unpredictable path inside dir (os.TempDir()
// when dir is empty), with SO_PASSCRED set, so that the kernel attaches the sender's
// credentials to every datagram. Who may reach the path is decided by dir, which the
// caller makes and guards (mode 0700, or owned by the user the program drops to): the
// socket file itself is writable by everyone (0666), as systemd's own notify socket is,
// so that a program that drops privileges can still notify; who is heard is decided by
// the credentials, which the sender cannot forge without CAP_SYS_ADMIN. dir must not be
// writable by others. The path is never in the abstract namespace ('@'), which no file
// mode guards.
func Listen(dir string) (*Socket, error) {
	if dir == "" {
		dir = os.TempDir()
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, &fs.PathError{Op: "listen notify socket", Path: dir, Err: err}
	}
	var r [socketRandomBytes]byte
	if err := random.Read(r[:]); err != nil {
		return nil, &fs.PathError{Op: "listen notify socket", Path: abs, Err: err}
	}
	path := filepath.Join(abs, socketPrefix+hex.EncodeToString(r[:]))
	if !SocketDirFits(abs) {
		return nil, &fs.PathError{Op: "listen notify socket", Path: path, Err: unix.ENAMETOOLONG}
	}
	lc := net.ListenConfig{Control: passCred}
	pc, err := lc.ListenPacket(context.Background(), "unixgram", path)
	if err != nil {
		s := &Socket{path: path}
		return nil, storage.NoSockets(s.err("listen notify socket", err), abs) // marked for storage.Explain
	}
	s := newSocket(path, pc.(*net.UnixConn))
	if err := sockfile.Chmod(path, 0o666); err != nil { // never through a symlink put there since
		s.Close()
		return nil, err
	}
	return s, nil
}

// passCred sets SO_PASSCRED before the socket is bound, so no datagram goes without.
func passCred(_, _ string, c syscall.RawConn) error {
	var serr error
	if err := c.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_PASSCRED, 1)
	}); err != nil {
		return err
	}
	return os.NewSyscallError("setsockopt SO_PASSCRED", serr)
}

// control reads the sender's pid from the credentials in oob, and appends to fds every
// descriptor that came with the datagram, for the caller to close.
func control(oob []byte, fds []int) (pid int, hasCred bool, _ []int) {
	for len(oob) > 0 {
		h, data, rest, err := unix.ParseOneSocketControlMessage(oob)
		if err != nil {
			break
		}
		oob = rest
		if h.Level != unix.SOL_SOCKET {
			continue
		}
		switch h.Type {
		case unix.SCM_RIGHTS:
			for ; len(data) >= 4; data = data[4:] {
				fds = append(fds, int(int32(binary.NativeEndian.Uint32(data))))
			}
		case unix.SCM_CREDENTIALS:
			if uc, err := unix.ParseUnixCredentials(&unix.SocketControlMessage{Header: h, Data: data}); err == nil {
				pid, hasCred = int(uc.Pid), true
			}
		}
	}
	return pid, hasCred, fds
}
