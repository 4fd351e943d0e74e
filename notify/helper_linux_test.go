package notify

import (
	"bufio"
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/daemonkit/daemonkit/internal/testutil"
)

func TestMain(m *testing.M) {
	testutil.Main(m, map[string]func() int{
		"sender": func() int { return send(senderDatagrams()) },
		"ready":  func() int { return send([]string{"READY=1"}) },
	})
}

// senderDatagrams is what the "sender" helper sends, in order; the helper knows its own pid.
func senderDatagrams() []string {
	return []string{
		"READY=1\nSTATUS=up = and running",
		"ERRNO=2",
		"MAINPID=" + strconv.Itoa(os.Getpid()),
		"EXTEND_TIMEOUT_USEC=1500000",
		"STATUS=" + strings.Repeat("x", 5000-7), // over the limit: rejected
		"STATUS=last\nX_CUSTOM=yes\nMAINPID=junk",
	}
}

// send is a helper: it sends each datagram to $NOTIFY_SOCKET as a program would, prints
// "sent", and stays alive (so that its pid can be checked) until its stdin is closed.
func send(datagrams []string) int {
	addr := &net.UnixAddr{Name: os.Getenv("NOTIFY_SOCKET"), Net: "unixgram"}
	c, err := net.DialUnix("unixgram", nil, addr)
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		return 1
	}
	for _, d := range datagrams {
		if _, err := c.Write([]byte(d)); err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			return 1
		}
	}
	c.Close()
	os.Stdout.WriteString("sent\n")
	io.Copy(io.Discard, os.Stdin)
	return 0
}

// startSender starts helper name against s and returns once it has sent everything. The
// helper is killed by pid when the test ends.
func startSender(t *testing.T, name string, s *Socket) *exec.Cmd {
	t.Helper()
	cmd := testutil.Helper(t, name, nil, "NOTIFY_SOCKET="+s.Path())
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); kill(cmd) })
	if line, err := bufio.NewReader(stdout).ReadString('\n'); line != "sent\n" {
		t.Fatalf("helper %s: %q, %v", name, line, err)
	}
	return cmd
}

// kill kills a process the test started, by its pid, and reaps it.
func kill(cmd *exec.Cmd) {
	syscall.Kill(cmd.Process.Pid, syscall.SIGKILL)
	cmd.Wait()
}

// listen makes a Socket in a fresh directory, closed when the test ends.
func listen(t *testing.T) *Socket {
	t.Helper()
	s, err := Listen(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// receive is Receive bounded by testutil.Deadline.
func receive(t *testing.T, s *Socket) Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testutil.Deadline)
	defer cancel()
	m, err := s.Receive(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
