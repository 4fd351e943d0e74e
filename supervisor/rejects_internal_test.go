package supervisor

import (
	"bytes"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/daemonkit/daemonkit/notify"
)

// TestDroppedNotificationsBounded: datagrams from senders that are not the program's (any
// user may send to its notify socket, mode 0666, in /run/daemonkit too) cost the log one
// line, not one each: a loop of them would otherwise fill the disk of root's log and push
// every line of the program's own out of start's last lines. The next line, once a
// while has passed, says how many went unsaid.
func TestDroppedNotificationsBounded(t *testing.T) {
	var buf bytes.Buffer
	r := &run{s: New(Config{}, io.Discard), log: hclog.New(&hclog.LoggerOptions{Output: &buf})}
	sock := &notify.Socket{}
	r.acceptFrom(sock, 1)
	now := time.Now()
	if r.rejects != nil {
		r.rejects.now = func() time.Time { return now }
	}
	stranger := noSuchPID(t) // accepted for the program's descendant were it a live process, as every one is of pid 1
	for range 1000 {
		sock.OnReject(stranger, "sender not accepted")
	}
	if n := strings.Count(buf.String(), "dropped a notification"); n != 1 {
		t.Fatalf("1000 dropped datagrams made %d log lines, want 1:\n%.500s", n, buf.String())
	}
	// the program's own, within that while: said, as why it is not ready
	own := os.Getpid() // Accept takes the run's own process, as a root systemd-notify labels its datagram
	sock.OnReject(own, notify.ErrTooLarge.Error())
	if !strings.Contains(buf.String(), "sender="+strconv.Itoa(own)) {
		t.Errorf("the program's own dropped datagram, after a stranger's, went unlogged:\n%s", buf.String())
	}
	now = now.Add(time.Minute)
	sock.OnReject(stranger, "sender not accepted")
	if !strings.Contains(buf.String(), "unlogged=999") {
		t.Errorf("the next line does not say how many went unsaid:\n%s", buf.String())
	}
}

// noSuchPID is a pid no process can have: one past this system's pid_max.
func noSuchPID(t *testing.T) int {
	b, err := os.ReadFile("/proc/sys/kernel/pid_max")
	if err != nil {
		t.Skipf("no pid_max: %v", err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("pid_max %q: %v", b, err)
	}
	return n + 1
}
