package instance

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/daemonkit/daemonkit/internal/testutil"
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

// TestStopByLockFileAtStateDir: a stop of a daemon found by its lock alone, with a file
// put where its state directory was, stops it and says so: it stopped it, then failed
// ("kill what the last run left: read record: ... not a directory", exit 1), though the
// file holds no record, as a missing directory holds none.
func TestStopByLockFileAtStateDir(t *testing.T) {
	p := testPaths(t, "a")
	dir := filepath.Dir(p.PIDFile)
	d := startDaemon(t, graceful, p.PIDFile, false)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Stop(context.Background(), p, StopOptions{Timeout: testutil.Deadline})
	if err != nil || !res.WasRunning || res.PID != d.pid {
		t.Errorf("Stop = %+v, %v; want pid %d stopped", res, err, d.pid)
	}
}
