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
		return sk, fmt.Errorf("%w %q: want tcp:HOST:PORT or unix:PATH", ErrBadSocket, s)
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
	// dir and ino, for a unix socket: its directory, opened once it is bound, and the
	// inode of its file there (see socketFile), which is what unbind removes.
	dir *os.File
	ino uint64
}

// bind binds every socket, in order, and removes what it made if one fails.
func bind(sockets []Socket) ([]bound, error) {
	var out []bound
	for _, sk := range sockets {
		b, err := bindOne(sk)
		if err != nil {
			unbind(out)
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

func bindOne(sk Socket) (bound, error) {
	if sk.Network == "unix" {
		if err := removeStaleSocket(sk.Address); err != nil {
			return bound{}, err
		}
	}
	var ln net.Listener
	var err error
	if sk.Network == "unix" {
		ln, err = listenUnix(sk.Address, sk.Mode) // the supervisor removes the path itself, once
	} else {
		ln, err = net.Listen(sk.Network, sk.Address)
	}
	if err != nil {
		return bound{}, err // "listen tcp 127.0.0.1:80: bind: address already in use"
	}
	b := bound{Socket: sk, addr: ln.Addr().String()}
	if sk.Network == "unix" {
		b.dir, b.ino = socketFile(sk.Address)
	}
	f, err := handOnFile(ln.(syscall.Conn), sk.Network+":"+b.addr)
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

// removeStaleSocket removes a unix socket file nobody listens on; anything else at the
// path is refused.
func removeStaleSocket(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.Mode()&fs.ModeSocket == 0 {
		return fmt.Errorf("socket %q: something that is not a socket is there: refusing to remove it", path)
	}
	if c, err := net.Dial("unix", path); err == nil {
		c.Close()
		return fmt.Errorf("socket %q: another process listens on it", path)
	}
	return os.Remove(path)
}

// unbind closes the sockets and removes the unix sockets' files: each the very file it
// bound, found in the directory it was bound in (see socketFile), never what its path
// names now. The user who owns a socket's directory (a service user's, where its program
// may write) could otherwise move that directory away and put a symlink in its place,
// and have the supervisor, perhaps root, remove another service's socket at a stop.
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

// socketFile opens the directory of the unix socket just bound at path, and reads the
// inode of the socket's file there: what unbind removes, wherever that directory is moved
// since or whatever is put at path. It returns nil when the directory cannot be opened or
// path names no socket of this user's: unbind then leaves the file, which the next bind
// removes if nobody listens on it.
func socketFile(path string) (*os.File, uint64) {
	dir, err := os.Open(filepath.Dir(path))
	if err != nil {
		return nil, 0
	}
	var st unix.Stat_t
	err = unix.Fstatat(int(dir.Fd()), filepath.Base(path), &st, unix.AT_SYMLINK_NOFOLLOW)
	if err != nil || st.Mode&unix.S_IFMT != unix.S_IFSOCK || int(st.Uid) != os.Geteuid() {
		dir.Close()
		return nil, 0
	}
	return dir, uint64(st.Ino)
}

// removeSocketFile removes name from dir if it is still the socket file whose inode is
// ino.
func removeSocketFile(dir *os.File, name string, ino uint64) {
	var st unix.Stat_t
	if unix.Fstatat(int(dir.Fd()), name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil && st.Mode&unix.S_IFMT == unix.S_IFSOCK && uint64(st.Ino) == ino {
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
