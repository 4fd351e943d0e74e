package cli

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/daemonkit/daemonkit/pidfile"
)

// TestStartErrorOthersInstance: a start that finds its name's pidfile held, and that
// pidfile another user's (an instance of theirs of that name, in a state directory others
// may write, such as /tmp), is not told "already running" (exit 3, which a script takes
// for started: root would believe its service up while another user's process answers in
// its place), but exit 1, naming the owner. Its own or root's pidfile held is exit 3.
func TestStartErrorOthersInstance(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give the pidfile to another user")
	}
	path := filepath.Join(t.TempDir(), "web.pid")
	if err := os.WriteFile(path, []byte("42\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code := func(err error) int {
		var c interface{ ExitCode() int }
		if !errors.As(err, &c) {
			return -1
		}
		return c.ExitCode()
	}
	held := &pidfile.LockedError{Path: path, PID: 42}
	if err := startError("web", held); code(err) != exitAlreadyUp {
		t.Errorf("root's own pidfile held: %v (exit %d), want exit %d", err, code(err), exitAlreadyUp)
	}
	if err := os.Chown(path, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	err := startError("web", held)
	if code(err) != exitFailed || !strings.Contains(err.Error(), "is uid 65534's") {
		t.Errorf("another user's pidfile held: %v (exit %d), want exit %d naming its owner", err, code(err), exitFailed)
	}
}
