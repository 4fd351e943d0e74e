package notify

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// ErrUnsupported means this system has no notify sockets: Listen returns it everywhere but
// on Linux. It also matches errors.ErrUnsupported.
var ErrUnsupported = fmt.Errorf("sd_notify is not supported on this system: %w", errors.ErrUnsupported)

// Socket is the manager's end of NOTIFY_SOCKET, made by Listen. Receive, Close and Path
// are safe for concurrent use; Accept and OnReject are set before the first Receive and
// not changed after.
type Socket struct {
	// Accept decides, by the sender's pid, whether a datagram is delivered. A nil Accept
	// accepts nothing. It runs on the goroutine calling Receive.
	Accept func(pid int) bool

	// OnReject, if not nil, is told of every datagram dropped, with the sender's pid (0
	// when it has no credentials) and why. It runs on the goroutine calling Receive and
	// should return quickly.
	OnReject func(pid int, reason string)

	path string
	conn *net.UnixConn
	turn chan struct{} // held by the one Receive that reads
	buf  []byte        // guarded by turn
	oob  []byte        // guarded by turn
	fds  []int         // guarded by turn
	once sync.Once
}

func newSocket(path string, conn *net.UnixConn) *Socket {
	return &Socket{path: path, conn: conn, turn: make(chan struct{}, 1),
		buf: make([]byte, MaxDatagram+1), oob: make([]byte, oobSize())}
}

// Path returns the socket's absolute path, the value for NOTIFY_SOCKET.
func (s *Socket) Path() string { return s.path }

// Close closes the socket and removes its path. A Receive blocked on it returns an error
// wrapping net.ErrClosed. Later calls do nothing and return nil.
func (s *Socket) Close() error {
	var err error
	s.once.Do(func() {
		if cerr := s.conn.Close(); cerr != nil {
			err = s.err("close notify socket", cerr)
		}
		if rerr := os.Remove(s.path); err == nil && !errors.Is(rerr, fs.ErrNotExist) {
			err = rerr
		}
	})
	return err
}

// Receive waits for the next datagram that passes every check and returns it, parsed, with
// the sender's pid. It drops, telling OnReject, a datagram without credentials, longer than
// MaxDatagram, from a pid Accept refuses, that Parse rejects, or whose descriptors did not
// all fit. Every descriptor a datagram carries is closed before Receive returns, whatever
// becomes of the datagram, and after the checks, so that a barrier's sender is still
// waiting, and alive, when Accept looks at its pid. Receive returns an error wrapping
// ctx.Err() once ctx is done, and one wrapping net.ErrClosed after Close. Concurrent calls
// take turns.
func (s *Socket) Receive(ctx context.Context) (Message, error) {
	select {
	case s.turn <- struct{}{}:
	case <-ctx.Done():
		return Message{}, s.err("receive on notify socket", ctx.Err())
	}
	defer func() { <-s.turn }()
	woken := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		s.conn.SetReadDeadline(time.Unix(1, 0)) // wakes ReadMsgUnix
		close(woken)
	})
	defer func() {
		if !stop() {
			<-woken
			s.conn.SetReadDeadline(time.Time{})
		}
	}()
	for {
		n, oobn, flags, _, err := s.conn.ReadMsgUnix(s.buf, s.oob)
		pid, hasCred, fds := control(s.oob[:oobn], s.fds[:0])
		s.fds = fds
		if err != nil {
			closeAll(fds)
			if cerr := ctx.Err(); cerr != nil && errors.Is(err, os.ErrDeadlineExceeded) {
				err = cerr
			}
			return Message{}, s.err("receive on notify socket", err)
		}
		// The descriptors are closed only after the checks: closing a barrier's releases
		// its sender, which may then exit before Accept can look at its pid.
		m, reason := s.check(s.buf[:n], pid, hasCred, flags)
		closeAll(fds)
		if reason == "" {
			return m, nil
		}
		if s.OnReject != nil {
			s.OnReject(pid, reason)
		}
	}
}

// check applies the checks to one datagram and parses it, or says why it is dropped.
func (s *Socket) check(b []byte, pid int, hasCred bool, flags int) (Message, string) {
	switch {
	case flags&syscall.MSG_CTRUNC != 0:
		return Message{}, "too many descriptors: control data truncated"
	case !hasCred || pid <= 0:
		return Message{}, "no sender credentials"
	case flags&syscall.MSG_TRUNC != 0 || len(b) > MaxDatagram:
		return Message{}, ErrTooLarge.Error()
	case s.Accept == nil:
		return Message{}, "no Accept function set"
	case !s.Accept(pid):
		return Message{}, "sender not accepted"
	}
	m, err := Parse(b)
	if err != nil {
		return Message{}, err.Error()
	}
	m.PID = pid
	return m, ""
}

// closeAll closes descriptors received with a datagram.
func closeAll(fds []int) {
	for _, fd := range fds {
		syscall.Close(fd)
	}
}

// err names the operation and the socket's path once, as fs.PathError does.
func (s *Socket) err(op string, err error) error {
	var oe *net.OpError
	if errors.As(err, &oe) {
		err = oe.Err
	}
	if errors.Is(err, net.ErrClosed) {
		err = net.ErrClosed
	}
	return &fs.PathError{Op: op, Path: s.path, Err: err}
}

// The socket's name in its directory: the prefix and this many random bytes, in hex.
const (
	socketPrefix      = "notify-"
	socketRandomBytes = 12
)

// SocketDirFits says whether Listen can make its socket in dir (an absolute path): a Unix
// socket's path has room for len(RawSockaddrUnix.Path)-1 bytes (107 on Linux), and the
// socket's name takes 32 of them.
func SocketDirFits(dir string) bool {
	return len(dir)+len("/"+socketPrefix)+2*socketRandomBytes < len(syscall.RawSockaddrUnix{}.Path)
}
