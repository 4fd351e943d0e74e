package server

import (
	"os"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"github.com/daemonkit/daemonkit/internal/testutil"
)

// The watch of a terminal sees it hang up when its master is closed (a window closed, an
// ssh session dropped), and says when; input typed at it meanwhile is neither taken nor
// mistaken for a hangup.
func TestTerminalWatchSeesHangup(t *testing.T) {
	master, slave, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer slave.Close()
	fd, err := dupTerminal(slave)
	if err != nil {
		t.Fatal(err)
	}
	tty := newTerminalWatch(fd)
	if tty == nil {
		t.Fatal("no watch")
	}
	defer tty.close()
	if _, err := master.Write([]byte("typed\n")); err != nil {
		t.Fatal(err)
	}
	select {
	case <-tty.hangup():
		t.Fatal("input taken for a hangup")
	case <-time.After(50 * time.Millisecond): // it would have woken by now: a check, not a wait
	}
	if _, gone := tty.hungUpAt(); gone {
		t.Fatal("a terminal still there reads as hung up")
	}
	raw, _ := slave.SyscallConn()
	_ = raw.Control(func(s uintptr) {
		fds := []unix.PollFd{{Fd: int32(s), Events: unix.POLLIN}}
		if n, err := unix.Poll(fds, 0); n != 1 || err != nil {
			t.Errorf("the input typed was taken: poll %d %v", n, err)
		}
	})
	before := time.Now()
	master.Close()
	select {
	case <-tty.hangup():
	case <-time.After(testutil.Deadline):
		t.Fatal("the watch did not see the hangup")
	}
	if at, gone := tty.hungUpAt(); !gone || at.Before(before) {
		t.Fatalf("hung up at %v (%v), want after %v", at, gone, before)
	}
}

// dupTerminal is a descriptor of the test's own on the terminal f.
func dupTerminal(f *os.File) (int, error) {
	raw, err := f.SyscallConn()
	if err != nil {
		return -1, err
	}
	var fd int
	var derr error
	if err := raw.Control(func(s uintptr) { fd, derr = dupCloexec(int(s)) }); err != nil {
		return -1, err
	}
	return fd, derr
}
