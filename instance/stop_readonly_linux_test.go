package instance

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestStopNotCleanedUp: a daemon that had to be killed leaves its pidfile, which stop
// removes; on a file system that is read-only by then, it cannot, and the daemon is
// stopped all the same: no error, and the result says what was left, as a warning.
func TestStopNotCleanedUp(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to bind-mount a directory read-only")
	}
	rw := testPaths(t, "svc")
	d := startDaemon(t, stubborn, rw.PIDFile, false)
	view := t.TempDir() // the same directory, read-only: where stop looks
	if err := unix.Mount(filepath.Dir(rw.PIDFile), view, "", unix.MS_BIND, ""); err != nil {
		t.Skipf("bind mount: %v", err)
	}
	defer unix.Unmount(view, unix.MNT_DETACH)
	if err := unix.Mount("", view, "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY, ""); err != nil {
		t.Skipf("remount read-only: %v", err)
	}
	p, err := Layout{StateDir: view}.Resolve("svc", "", "")
	if err != nil {
		t.Fatal(err)
	}
	res, err := Stop(stopCtx(t), p, StopOptions{Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatalf("Stop: %v, want the daemon stopped and a warning", err)
	}
	if !res.WasRunning || res.PID != d.pid || !res.Killed || res.NotCleanedUp == nil || !strings.Contains(res.NotCleanedUp.Error(), "read-only file system") {
		t.Fatalf("Stop = %+v, want pid %d killed, and its pidfile not removed: read-only", res, d.pid)
	}
	mustRunning(t, d.pid, false)
}
