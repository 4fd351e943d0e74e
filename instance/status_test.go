package instance

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/daemonkit/daemonkit/pidfile"
)

func TestInspectAbsent(t *testing.T) {
	p := testPaths(t, "svc")
	s, err := Inspect(p)
	if err != nil {
		t.Fatal(err)
	}
	if s.Pidfile.State != pidfile.Absent || s.Record != nil || s.Paths != p {
		t.Fatalf("Inspect(absent) = %+v", s)
	}
}

func TestInspectStale(t *testing.T) {
	p := testPaths(t, "svc")
	if err := os.WriteFile(p.PIDFile, []byte("4242\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteRecord(p.Record, Record{Name: p.Name, PID: 4242}); err != nil {
		t.Fatal(err)
	}
	s, err := Inspect(p)
	if err != nil {
		t.Fatal(err)
	}
	if s.Pidfile.State != pidfile.Stale || s.Pidfile.FilePID != 4242 || s.Record != nil {
		t.Fatalf("Inspect(stale) = %+v", s)
	}
	// Inspect changes nothing on disk.
	for _, path := range []string{p.PIDFile, p.Record} {
		if _, err := os.Stat(path); err != nil {
			t.Fatalf("after Inspect: %v", err)
		}
	}
}

func TestInspectRunning(t *testing.T) {
	p := testPaths(t, "svc")
	d := startDaemon(t, graceful, p.PIDFile, false)

	// A record that is not the holder's is left out.
	if err := WriteRecord(p.Record, Record{Name: p.Name, PID: d.pid + 1}); err != nil {
		t.Fatal(err)
	}
	s, err := Inspect(p)
	if err != nil {
		t.Fatal(err)
	}
	if s.Pidfile.State != pidfile.Running || s.Pidfile.PID != d.pid || s.Record != nil {
		t.Fatalf("Inspect(running, other record) = %+v", s)
	}

	// Its record says it started an hour ago by the wall clock, as it does once the clock
	// stepped an hour forward since (NTP's first sync on a board without a real-time
	// clock): its uptime is its process's, on the boot clock, which no step moves.
	started := time.Now().Add(-time.Hour)
	if err := WriteRecord(p.Record, Record{Name: p.Name, PID: d.pid, StartedAt: started, Strategy: "reexec"}); err != nil {
		t.Fatal(err)
	}
	age, ok := proc.Age(d.pid)
	s, err = Inspect(p)
	if err != nil {
		t.Fatal(err)
	}
	if s.Record == nil || s.Record.PID != d.pid || s.Record.Strategy != "reexec" || ok && (s.Uptime < age || s.Uptime >= time.Hour) {
		t.Fatalf("Inspect(running) = %+v, want the record and the process's uptime (at least %s), not the record's hour", s, age)
	}
	mustRunning(t, d.pid, true)
}

// TestInspectRecordUnreadable: a running daemon whose record exists but cannot be read
// (another user's, as a record of root's is to everyone else) is running, not starting,
// and RecordErr says why its record tells nothing.
func TestInspectRecordUnreadable(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give the record to another user")
	}
	p := testPaths(t, "svc")
	d := startDaemon(t, graceful, p.PIDFile, false)
	if err := WriteRecord(p.Record, Record{Name: p.Name, PID: d.pid}); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(p.Record, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	s, err := Inspect(p)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Running() || s.Starting || s.Record != nil || s.RecordErr == nil {
		t.Fatalf("Inspect(running, unreadable record) = %+v, want running, not starting, with RecordErr", s)
	}
}

// TestInspectRecordEmptied: a running daemon whose record was emptied (: > web.json, or a
// full disk's truncation) is running, not starting: a start under way has no record, or
// an earlier run's, never an empty one; RecordErr says the record is damaged.
func TestInspectRecordEmptied(t *testing.T) {
	p := testPaths(t, "svc")
	d := startDaemon(t, graceful, p.PIDFile, false)
	if err := WriteRecord(p.Record, Record{Name: p.Name, PID: d.pid}); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(p.Record, 0); err != nil {
		t.Fatal(err)
	}
	s, err := Inspect(p)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Running() || s.Starting || s.Record != nil || !errors.Is(s.RecordErr, ErrBadRecord) {
		t.Fatalf("Inspect(running, emptied record) = %+v, want running, not starting, with RecordErr ErrBadRecord", s)
	}
}

func TestInspectCannotTell(t *testing.T) {
	p := testPaths(t, "svc")
	if err := os.Mkdir(p.PIDFile, 0o755); err != nil { // a pidfile that is a directory
		t.Fatal(err)
	}
	if _, err := Inspect(p); !errors.Is(err, pidfile.ErrNotRegular) {
		t.Fatalf("Inspect(pidfile is a directory) = %v, want pidfile.ErrNotRegular", err)
	}
	if _, err := Stop(stopCtx(t), p, StopOptions{}); err == nil {
		t.Fatal("Stop(pidfile is a directory): no error")
	}
}

func TestInspectPermissionDenied(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads any directory: permission cannot be denied (the non-regular case covers 'cannot tell')")
	}
	dir := filepath.Join(t.TempDir(), "locked")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p, err := Layout{StateDir: dir}.Resolve("svc", "", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p.PIDFile, fmt.Appendf(nil, "%d\n", os.Getpid()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(dir, 0o755) })
	if _, err := Inspect(p); !errors.Is(err, syscall.EACCES) {
		t.Fatalf("Inspect(unreadable dir) = %v, want permission denied", err)
	}
}
