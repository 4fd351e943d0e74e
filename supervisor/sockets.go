package supervisor

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"unicode"

	"golang.org/x/sys/unix"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/internal/storage"
)

// Socket is a listening socket the supervisor binds once and hands to every copy of the
// program, by systemd's socket-activation protocol.
type Socket struct {
	Name    string      // LISTEN_FDNAMES entry; "" is the program's base name... or "socket"
	Network string      // "tcp" or "unix"
	Address string      // HOST:PORT, or the unix socket's path
	Mode    fs.FileMode // unix: the socket file's mode (0 leaves the umask's)
}

// ErrBadSocket is wrapped by every error of ParseSocket.
var ErrBadSocket = errors.New("invalid socket")

// ParseSocket reads --socket: [NAME=]tcp:HOST:PORT or [NAME=]unix:PATH[,mode=0660]. A
// NAME, if given, is not empty and holds no ':', '/', blank or control character; a PORT
// is 0 (any free one) to 65535, or a service name.
func ParseSocket(s string) (Socket, error) {
	var sk Socket
	spec := s
	if strings.ContainsFunc(s, unicode.IsSpace) {
		return sk, fmt.Errorf("%w %q: it holds a blank: leave it out", ErrBadSocket, s)
	}
	if name, rest, ok := strings.Cut(s, "="); ok && !strings.Contains(name, ":") { // unix:/a=b is a path's '='
		switch {
		case name == "":
			return sk, fmt.Errorf("%w %q: an empty name before '=': give one (api=%s), or leave the '=' out for the default name (its network, %s)", ErrBadSocket, s, rest, networkOf(rest))
		case strings.ContainsFunc(name, func(r rune) bool { return r == '/' || unicode.IsControl(r) }):
			return sk, fmt.Errorf("%w %q: the name %q holds '/' or a control character: give a name without them", ErrBadSocket, s, name)
		}
		sk.Name, spec = name, rest
	}
	network, addr, ok := strings.Cut(spec, ":")
	if !ok {
		return sk, fmt.Errorf("%w %q: want [NAME=]tcp:HOST:PORT or [NAME=]unix:PATH[,mode=0660]", ErrBadSocket, s)
	}
	sk.Network = network
	switch network {
	case "tcp":
		if strings.Contains(addr, ",") {
			return sk, fmt.Errorf("%w %q: options (mode=) go with unix sockets only", ErrBadSocket, s)
		}
		_, port, err := net.SplitHostPort(addr)
		if err != nil {
			return sk, fmt.Errorf("%w %q: %v", ErrBadSocket, s, err)
		}
		if err := checkPort(port, true); err != nil {
			return sk, fmt.Errorf("%w %q: %v", ErrBadSocket, s, err)
		}
		sk.Address = addr
	case "unix":
		path, opts, _ := strings.Cut(addr, ",")
		if path == "" {
			return sk, fmt.Errorf("%w %q: no path", ErrBadSocket, s)
		}
		sk.Address = path
		if opts != "" {
			v, ok := strings.CutPrefix(opts, "mode=")
			mode, err := strconv.ParseUint(v, 8, 32)
			if !ok || err != nil || mode > 0o777 {
				return sk, fmt.Errorf("%w %q: want mode=0660 (octal) after the path", ErrBadSocket, s)
			}
			if mode&0o222 == 0 {
				return sk, fmt.Errorf("%w %q: with mode=%s no one could connect (that takes write permission): give mode=0600, 0660 or the like", ErrBadSocket, s, v)
			}
			sk.Mode = fs.FileMode(mode)
		}
	default:
		if name, rest, ok := strings.Cut(s, "="); ok && (strings.HasPrefix(rest, "tcp:") || strings.HasPrefix(rest, "unix:")) {
			return sk, fmt.Errorf("%w %q: the name %q holds ':': give a name without ':', '/' or a control character", ErrBadSocket, s, name)
		}
		return sk, fmt.Errorf("%w %q: want [NAME=]tcp:HOST:PORT or [NAME=]unix:PATH[,mode=0660]", ErrBadSocket, s)
	}
	if sk.Name == "" {
		sk.Name = network
	}
	return sk, nil
}

// networkOf is the network a socket spec without its name starts with ("tcp" of
// "tcp:HOST:PORT"), for a message.
func networkOf(spec string) string {
	network, _, _ := strings.Cut(spec, ":")
	return network
}

// checkPort says what is wrong with port, a TCP port as net.Listen and net.Dial take it:
// a number from 1 to 65535, or from 0 if anyFree (a socket to bind: 0 is any free port;
// never a port to connect to), or a service name of /etc/services (no DNS). ParseSocket
// and ParseReadiness check their ports with it.
func checkPort(port string, anyFree bool) error {
	lowest, note := uint64(1), ""
	if anyFree {
		lowest, note = 0, " (0: any free one)"
	}
	n, err := strconv.ParseUint(port, 10, 64)
	switch {
	case port == "":
		return fmt.Errorf("no port: want a port from %d to 65535%s", lowest, note)
	case err == nil && (n < lowest || n > 65535):
		return fmt.Errorf("port %s: want a port from %d to 65535%s", port, lowest, note)
	case err != nil:
		if _, err := net.LookupPort("tcp", port); err != nil { // a service name: /etc/services, no DNS
			return fmt.Errorf("port %s: want a port from %d to 65535%s, or a service name (%v)", port, lowest, note, err)
		}
	}
	return nil
}

// bound is a socket bound by the supervisor: the file it hands on, and where it listens.
type bound struct {
	Socket
	file *os.File // the listening socket, without close-on-exec once dup'd into a child
	addr string   // tcp: HOST:PORT with port 0 resolved; unix: the path
	// dir and ino, for a unix socket: its directory, opened and checked before it is bound
	// (openSocketDir), and the inode of the file it made there, which is what unbind
	// removes.
	dir *os.File
	ino uint64
}

// bind binds every socket, in order, and removes what it made if one fails. user is the
// program's --user, whose own directory may hold a unix socket (see checkSocketDir); nil
// if none.
func bind(sockets []Socket, user *syscall.Credential) ([]bound, error) {
	var out []bound
	for _, sk := range sockets {
		b, err := bindOne(sk, user)
		if err != nil {
			unbind(out)
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

func bindOne(sk Socket, user *syscall.Credential) (bound, error) {
	if sk.Network == "unix" {
		return bindUnix(sk, user)
	}
	ln, err := net.Listen(sk.Network, sk.Address)
	if err != nil {
		return bound{}, err // "listen tcp 127.0.0.1:80: bind: address already in use"
	}
	b := bound{Socket: sk, addr: ln.Addr().String()}
	f, err := handOnFile(ln.(syscall.Conn), sk.Network+":"+b.addr)
	ln.Close() // f is a duplicate: the socket stays open through it
	if err != nil {
		return bound{}, err
	}
	b.file = f
	return b, nil
}

// bindUnix binds the unix socket sk in its directory, opened and checked first
// (openSocketDir): a stale socket there is removed, and the socket's file made and given
// its mode, in that directory only (see listenUnix).
func bindUnix(sk Socket, user *syscall.Credential) (bound, error) {
	dir, err := openSocketDir(sk.Address, user)
	if err != nil {
		return bound{}, err
	}
	if err := removeStaleSocket(dir, sk.Address); err != nil {
		dir.Close()
		return bound{}, err
	}
	ln, ino, err := listenUnix(dir, sk.Address, sk.Mode) // the supervisor removes the file itself, once
	if err != nil {
		dir.Close()
		return bound{}, storage.Explain(err, filepath.Dir(sk.Address), "--socket unix:PATH")
	}
	b := bound{Socket: sk, addr: sk.Address, dir: dir, ino: ino}
	f, err := handOnFile(ln, sk.Network+":"+b.addr)
	ln.Close() // f is a duplicate: the socket stays open through it
	if err != nil {
		unbind([]bound{b})
		return bound{}, err
	}
	b.file = f
	return b, nil
}

// handOnFile duplicates the listening socket c into the file every copy is given: in
// blocking mode, as systemd hands sockets on, and as a file whose mode Go never changes
// again. Every copy shares the socket's open file description, and with it O_NONBLOCK: an
// os.File made by the listener's File method would clear that flag at each Fd call, that
// is at each start of a copy, under the copy that serves (a Go server's accept would then
// block in the kernel, and its drain's close wait for the next connection).
func handOnFile(c syscall.Conn, name string) (*os.File, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return nil, err
	}
	fd := -1
	cerr := rc.Control(func(s uintptr) { fd, err = unix.FcntlInt(s, unix.F_DUPFD_CLOEXEC, 0) })
	if cerr != nil {
		return nil, cerr
	}
	if err != nil {
		return nil, os.NewSyscallError("fcntl", err)
	}
	if err := syscall.SetNonblock(fd, false); err != nil {
		syscall.Close(fd)
		return nil, os.NewSyscallError("setnonblock", err)
	}
	return os.NewFile(uintptr(fd), name), nil // blocking: not a pollable file, so Fd leaves it alone
}

// openSocketDir opens the directory of the unix socket path, and checks it
// (checkSocketDir): the directory returned is the one checked, which nobody but root, the
// effective user and, for its own directory, user, may change. Every step of the socket's
// file goes through it.
func openSocketDir(path string, user *syscall.Credential) (*os.File, error) {
	dir, err := checkedDir(filepath.Dir(path), func(d string) error { return checkSocketDir(d, user) })
	if err != nil {
		return nil, fmt.Errorf("socket %q: %w", path, err)
	}
	return dir, nil
}

// checkSocketDir checks dir, a unix socket's directory, as the state and log directories
// are checked (instance.CheckDir: it and those above it are root's or the effective user's,
// and writable by no other user unless sticky), but for one case: the directory of the
// program's own user (a service user's /run/www, where its program may make and remove
// sockets itself), which is accepted if that user alone may write it, the directories
// above it pass the check, and that user cannot replace it (its parent is not writable by
// that user or others, sticky or not: in /tmp it could move its directory away and put a
// symlink to another in its place).
func checkSocketDir(dir string, user *syscall.Credential) error {
	err := instance.CheckDir(dir)
	if err == nil || user == nil || user.Uid == 0 || !errors.Is(err, instance.ErrUnsafeDir) {
		return err
	}
	var st unix.Stat_t
	if unix.Lstat(dir, &st) != nil || uint32(st.Mode)&unix.S_IFMT != unix.S_IFDIR || st.Uid != user.Uid { // Mode is uint16 on the BSDs
		return err
	}
	if uint32(st.Mode)&0o022 != 0 && uint32(st.Mode)&unix.S_ISVTX == 0 {
		return err // others may write it: the mode's refusal
	}
	parent := filepath.Dir(dir)
	if err := instance.CheckDir(parent); err != nil {
		return err
	}
	var pst unix.Stat_t
	if err := unix.Stat(parent, &pst); err != nil {
		return &fs.PathError{Op: "check directory", Path: parent, Err: err}
	}
	if pst.Uid == user.Uid || uint32(pst.Mode)&0o022 != 0 {
		return fmt.Errorf("%w: %q is uid %d's (--user), who may replace it with a symlink to another directory, for %q is writable by others (sticky or not): refusing it; use a directory of that user's in one only root may write, such as /run/NAME", instance.ErrUnsafeDir, dir, user.Uid, parent)
	}
	return nil
}

// removeStaleSocket removes from dir, the held directory of the unix socket path, a socket
// file nobody listens on, and only that file: anything else at the path is refused.
func removeStaleSocket(dir *os.File, path string) error {
	name := filepath.Base(path)
	var st unix.Stat_t
	err := unix.Fstatat(int(dir.Fd()), name, &st, unix.AT_SYMLINK_NOFOLLOW)
	if errors.Is(err, unix.ENOENT) {
		return nil
	}
	if err != nil {
		return &fs.PathError{Op: "stat socket", Path: path, Err: err}
	}
	if uint32(st.Mode)&unix.S_IFMT != unix.S_IFSOCK { // uint16 on the BSDs
		return fmt.Errorf("socket %q: something that is not a socket is there: refusing to remove it", path)
	}
	// The path leads to dir: none but root, the effective user and the directory's own
	// user may change the directories on its way (openSocketDir).
	if c, err := net.Dial("unix", path); err == nil {
		c.Close()
		return fmt.Errorf("socket %q: another process listens on it", path)
	}
	removeSocketFile(dir, name, uint64(st.Ino))
	return nil
}

// unbind closes the sockets and removes the unix sockets' files: each the very file it
// bound, found in the directory it was bound in, never what its path names now. The user
// who owns a socket's directory (a service user's, where its program may write) could
// otherwise move that directory away and put a symlink in its place, and have the
// supervisor, perhaps root, remove another service's socket at a stop.
func unbind(bs []bound) {
	for _, b := range bs {
		if b.file != nil {
			b.file.Close()
		}
		if b.dir != nil {
			removeSocketFile(b.dir, filepath.Base(b.Address), b.ino)
			b.dir.Close()
		}
	}
}

// removeSocketFile removes name from dir if it is still the socket file whose inode is
// ino.
func removeSocketFile(dir *os.File, name string, ino uint64) {
	var st unix.Stat_t
	if unix.Fstatat(int(dir.Fd()), name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil && uint32(st.Mode)&unix.S_IFMT == unix.S_IFSOCK && uint64(st.Ino) == ino {
		_ = unix.Unlinkat(int(dir.Fd()), name, 0)
	}
}

// activationEnv is the environment of systemd's socket activation for bs (LISTEN_PID is
// set by the exec step, which alone knows the program's pid).
func activationEnv(bs []bound) []string {
	names := make([]string, len(bs))
	for i, b := range bs {
		names[i] = b.Name
	}
	return []string{"LISTEN_FDS=" + strconv.Itoa(len(bs)), "LISTEN_FDNAMES=" + strings.Join(names, ":")}
}
