package testutil

import (
	"net"
	"path/filepath"
	"testing"
	"time"
)

// NotifySocket sets NOTIFY_SOCKET, for the rest of the test, to a datagram socket of its
// own, as a service manager's, and returns next, which reads the next message sent to it
// within Deadline and fails the test when none comes. The socket is closed when the test
// ends.
func NotifySocket(t testing.TB) (next func() string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	t.Setenv("NOTIFY_SOCKET", path)
	return func() string {
		t.Helper()
		buf := make([]byte, 8192)
		conn.SetReadDeadline(time.Now().Add(Deadline))
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		return string(buf[:n])
	}
}
