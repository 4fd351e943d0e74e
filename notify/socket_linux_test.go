package notify

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/daemonkit/daemonkit/internal/testutil"
	"golang.org/x/sys/unix"
)

// TestListen checks the socket file: absolute, inside dir, unpredictable, writable by
// everyone, and gone after Close, which may be called twice.
func TestListen(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	a, err := Listen(".")
	if err != nil {
		t.Fatal(err)
	}
	b := listen(t)
	if filepath.Dir(a.Path()) != dir || a.Path() == b.Path() || !strings.HasPrefix(filepath.Base(a.Path()), "notify-") {
		t.Errorf("paths %q and %q: want distinct notify-* names in %q", a.Path(), b.Path(), dir)
	}
	fi, err := os.Stat(a.Path())
	if err != nil || fi.Mode().Type() != fs.ModeSocket || fi.Mode().Perm() != 0o666 {
		t.Errorf("socket file: %v, %v; want a socket with mode 0666", fi.Mode(), err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := os.Lstat(a.Path()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("path after Close: %v, want it removed", err)
	}
	if _, err := a.Receive(context.Background()); !errors.Is(err, net.ErrClosed) || !strings.Contains(err.Error(), a.Path()) {
		t.Errorf("Receive after Close: %v, want net.ErrClosed naming the path", err)
	}
}

// TestListenErrors checks that a path too long for sockaddr_un and a missing directory
// are errors naming the path.
func TestListenErrors(t *testing.T) {
	long := filepath.Join(t.TempDir(), strings.Repeat("d", 100))
	if _, err := Listen(long); !errors.Is(err, syscall.ENAMETOOLONG) || !strings.Contains(err.Error(), long) {
		t.Errorf("Listen(long dir) = %v, want ENAMETOOLONG naming the path", err)
	}
	missing := filepath.Join(t.TempDir(), "missing")
	if _, err := Listen(missing); !errors.Is(err, fs.ErrNotExist) || strings.Count(err.Error(), missing) != 1 {
		t.Errorf("Listen(missing dir) = %v, want ENOENT naming the path once", err)
	}
}

// TestCloseWakesReceive checks that Close returns a Receive blocked with no deadline.
func TestCloseWakesReceive(t *testing.T) {
	s := listen(t)
	done := make(chan error, 1)
	go func() { _, err := s.Receive(context.Background()); done <- err }()
	testutil.WaitFor(t, "Receive to take its turn", func() bool { return len(s.turn) == 1 })
	s.Close()
	if err := testutil.Receive(t, done, "Close to wake Receive"); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Receive = %v, want net.ErrClosed", err)
	}
}

// TestReceiveContext checks that a cancelled or expired context returns Receive, and that
// the socket receives normally afterwards.
func TestReceiveContext(t *testing.T) {
	s := listen(t)
	s.Accept = func(pid int) bool { return pid == os.Getpid() }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := s.Receive(ctx); done <- err }()
	testutil.WaitFor(t, "Receive to take its turn", func() bool { return len(s.turn) == 1 })
	cancel()
	if err := testutil.Receive(t, done, "cancel to wake Receive"); !errors.Is(err, context.Canceled) {
		t.Errorf("Receive = %v, want context.Canceled", err)
	}
	expired, cancel2 := context.WithDeadline(context.Background(), time.Unix(1, 0))
	defer cancel2()
	if _, err := s.Receive(expired); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Receive(expired) = %v, want context.DeadlineExceeded", err)
	}
	sendFrom(t, s, "READY=1", 0)
	if m := receive(t, s); !m.Ready || m.PID != os.Getpid() {
		t.Errorf("after a cancel: %+v, want READY=1 from this process", m)
	}
}

// TestDescriptorsClosed checks that the descriptors of a barrier, and of a rejected
// datagram, are closed by the time Receive returns (their pipes read EOF), and not before
// Accept has run: a barrier's sender, once released, may exit before its pid is checked.
func TestDescriptorsClosed(t *testing.T) {
	s := listen(t)
	var rejected []string
	s.OnReject = func(_ int, reason string) { rejected = append(rejected, reason) }
	r1 := sendFrom(t, s, "STATUS=refused", 1)
	r2 := sendFrom(t, s, strings.Repeat("x", MaxDatagram+1), 1)
	r3 := sendFrom(t, s, "BARRIER=1", 3)
	calls := 0
	s.Accept = func(int) bool { // refuses the first
		if _, err := unix.Read([]int{r1, r3}[calls], make([]byte, 1)); err != unix.EAGAIN {
			t.Errorf("Accept call %d: pipe read %v, want EAGAIN: a descriptor was closed before the checks", calls, err)
		}
		calls++
		return calls > 1
	}
	if m := receive(t, s); !m.Barrier || m.PID != os.Getpid() {
		t.Errorf("received %+v, want BARRIER=1", m)
	}
	for _, r := range []int{r1, r2, r3} {
		if n, err := unix.Read(r, make([]byte, 1)); n != 0 || err != nil {
			t.Errorf("pipe read = %d, %v; want EOF (every copy of its write end closed)", n, err)
		}
	}
	if len(rejected) != 2 || rejected[0] != "sender not accepted" || rejected[1] != ErrTooLarge.Error() {
		t.Errorf("rejected %q", rejected)
	}
}

// TestCheck covers what no real sender can produce here: a datagram without credentials,
// and one whose descriptors did not fit.
func TestCheck(t *testing.T) {
	s := &Socket{Accept: func(int) bool { return true }}
	for _, tc := range []struct {
		pid    int
		cred   bool
		flags  int
		reason string
	}{
		{0, false, 0, "no sender credentials"},
		{0, true, 0, "no sender credentials"},
		{7, true, syscall.MSG_CTRUNC, "too many descriptors: control data truncated"},
		{7, true, syscall.MSG_TRUNC, ErrTooLarge.Error()},
	} {
		if m, reason := s.check([]byte("READY=1"), tc.pid, tc.cred, tc.flags); reason != tc.reason || m.Ready {
			t.Errorf("check(pid %d, cred %v, flags %#x) = %+v, %q; want %q", tc.pid, tc.cred, tc.flags, m, reason, tc.reason)
		}
	}
	s.Accept = nil
	if _, reason := s.check([]byte("READY=1"), 7, true, 0); reason != "no Accept function set" {
		t.Errorf("nil Accept: %q", reason)
	}
}

// sendFrom sends data to s from this process, with the write ends of that many fresh pipes
// (closed here once sent), and returns the read end of the last, non-blocking.
func sendFrom(t *testing.T, s *Socket, data string, pipes int) int {
	t.Helper()
	c, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(c)
	var fds []int
	r := -1
	for range pipes {
		var p [2]int
		if err := unix.Pipe2(p[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { unix.Close(p[0]) })
		r = p[0]
		fds = append(fds, p[1])
	}
	var oob []byte
	if len(fds) > 0 {
		oob = unix.UnixRights(fds...)
	}
	if err := unix.Sendmsg(c, []byte(data), oob, &unix.SockaddrUnix{Name: s.Path()}, 0); err != nil {
		t.Fatal(err)
	}
	for _, fd := range fds {
		unix.Close(fd)
	}
	return r
}
