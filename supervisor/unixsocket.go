package supervisor

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/daemonkit/daemonkit/internal/sockfile"
	"github.com/daemonkit/daemonkit/internal/storage"
)

// testHookBound, if set, is called by listenUnix just after the bind.
var testHookBound func()

// listenUnix listens on a unix stream socket at path, whose directory is dir (opened and
// checked by openSocketDir), and whose file has mode before any client can connect: it
// binds, sets the mode, and only then listens (a client's connect to a bound socket that
// does not listen yet is refused). Mode 0 leaves the mode the umask gives. The process's
// umask is never changed, so files and programs other goroutines create meanwhile keep
// theirs. It returns the listener, which does not remove path when closed, and the inode
// of the socket's file in dir.
//
// The mode is given to the very file the bind made, in dir (sockfile.ChmodAt), found by
// the device and inode the kernel says the socket is bound to (sockfile.BoundFile): a
// directory or a file put at the path since (by the user whose own directory it is) is
// never changed, and the start fails. Where the kernel cannot say (no unix sock_diag), the
// file the path names in dir just after the bind is taken for it, unless dir is another
// user's, who could swap it in that instant. What it made is removed if it fails, from
// dir.
func listenUnix(dir *os.File, path string, mode fs.FileMode) (*net.UnixListener, uint64, error) {
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
		return nil, 0, opErr("socket", err)
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close() // the listener holds a duplicate
	name := filepath.Base(path)
	var st unix.Stat_t
	free := errors.Is(unix.Fstatat(int(dir.Fd()), name, &st, unix.AT_SYMLINK_NOFOLLOW), unix.ENOENT)
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		err = storage.NoSockets(err, filepath.Dir(path))
		if free && errors.Is(err, storage.ErrNoSockets) {
			removeLeftByBind(dir, name)
		}
		return nil, 0, opErr("bind", err)
	}
	if testHookBound != nil {
		testHookBound()
	}
	dev, ino, err := boundIn(fd, dir, path)
	if err != nil {
		return nil, 0, err // what the bind made is not in dir: nothing there to remove
	}
	fail := func(err error) (*net.UnixListener, uint64, error) {
		removeSocketFile(dir, name, ino)
		return nil, 0, err
	}
	if mode != 0 {
		if err := sockfile.ChmodAt(int(dir.Fd()), name, path, dev, ino, mode); err != nil {
			return fail(err)
		}
	}
	if err := unix.Listen(fd, unix.SOMAXCONN); err != nil {
		return fail(opErr("listen", err))
	}
	ln, err := net.FileListener(f)
	if err != nil {
		return fail(err)
	}
	ul := ln.(*net.UnixListener)
	ul.SetUnlinkOnClose(false)
	return ul, ino, nil
}

// removeLeftByBind removes from dir the file name that a bind refused by the file system
// (storage.ErrNoSockets) left there when nothing was there before it: an empty regular
// file, which a FUSE file system such as fusefat makes before it fails the bind, and in
// which the next start would find "something that is not a socket", hiding the cause.
// Anything else there (a file with data, a directory, a socket) is left alone. The
// directory is one only its own user or root may change (openSocketDir).
func removeLeftByBind(dir *os.File, name string) {
	var st unix.Stat_t
	if unix.Fstatat(int(dir.Fd()), name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil && uint32(st.Mode)&unix.S_IFMT == unix.S_IFREG && st.Size == 0 {
		_ = unix.Unlinkat(int(dir.Fd()), name, 0)
	}
}

// boundIn returns the device and inode of the file the unix socket open as fd made when it
// was bound at path, which must be the file path's name names in dir (see listenUnix).
func boundIn(fd int, dir *os.File, path string) (dev, ino uint64, err error) {
	var st unix.Stat_t
	serr := unix.Fstatat(int(dir.Fd()), filepath.Base(path), &st, unix.AT_SYMLINK_NOFOLLOW)
	_, kino, kerr := sockfile.BoundFile(fd)
	if kerr != nil {
		var dst unix.Stat_t
		if err := unix.Fstat(int(dir.Fd()), &dst); err != nil || int(dst.Uid) != os.Geteuid() && dst.Uid != 0 {
			return 0, 0, fmt.Errorf("socket %q: its directory is another user's, who could put another socket in its place as it is bound, and the kernel cannot tell which file was bound (%v): put it in a directory of root's", path, kerr)
		}
		kino = uint64(st.Ino) // field types differ per OS
	}
	// The inode alone says which file it is: the name is the held directory's, so the file
	// system is that directory's, and the kernel's device for it is not stat's on btrfs
	// (each subvolume has a device of its own) nor on an overlay of several file systems.
	if serr != nil || uint32(st.Mode)&unix.S_IFMT != unix.S_IFSOCK || uint32(st.Ino) != uint32(kino) {
		return 0, 0, fmt.Errorf("socket %q: the file its bind made is not in the directory that was checked, or was replaced at once: refusing it; find out who changes %s", path, filepath.Dir(path))
	}
	return uint64(st.Dev), uint64(st.Ino), nil
}
