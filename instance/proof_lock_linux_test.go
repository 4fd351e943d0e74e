package instance

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/daemonkit/daemonkit/internal/proc"
)

// TestProvenByLockReadsLocksOnce: a daemon whose pidfile and record went with their
// directory is found by one read of /proc/locks, not two: each read of it can wait for an
// RCU grace period (4-35 ms, more on a loaded machine), and a stop of such a daemon took
// 90 ms against 7. It is proven again, once its handle is open, from its own descriptors.
func TestProvenByLockReadsLocksOnce(t *testing.T) {
	p := testPaths(t, "a")
	d := startDaemon(t, graceful, p.PIDFile, false)
	if err := os.RemoveAll(filepath.Dir(p.PIDFile)); err != nil {
		t.Fatal(err)
	}
	looks := 0
	deletedLockHolder = func(path string) int {
		looks++
		return proc.DeletedLockHolder(path)
	}
	defer func() { deletedLockHolder = proc.DeletedLockHolder }()
	h, rec := provenByLock(p)
	if h == nil {
		t.Fatalf("provenByLock: nothing found, want the daemon, pid %d", d.pid)
	}
	defer h.Close()
	if h.PID() != d.pid || rec == nil || !rec.ByLock || rec.PID != d.pid {
		t.Errorf("provenByLock: pid %d, record %+v; want pid %d, by its lock", h.PID(), rec, d.pid)
	}
	if looks != 1 {
		t.Errorf("/proc/locks read %d times, want once", looks)
	}
}
