package instance

import (
	"testing"

	"github.com/daemonkit/daemonkit/pidfile"
)

// TestInspectDaemonReadyMeanwhile: a daemon that takes its pidfile and writes its record
// between Inspect's look at the pidfile and its read of the record (a start that became
// ready meanwhile, as a racing start or status sees it) is told by its lock, as running:
// never as a daemon whose pidfile was deleted or replaced by hand.
func TestInspectDaemonReadyMeanwhile(t *testing.T) {
	p := testPaths(t, "svc")
	var d *daemon
	t.Cleanup(func() { testHookAfterProbe = nil })
	testHookAfterProbe = func() {
		testHookAfterProbe = nil
		d = startDaemon(t, graceful, p.PIDFile, false)
		rec := Record{Name: p.Name, PID: d.pid, StartTime: StartTime(d.pid), BootID: BootID(), PIDFile: p.PIDFile}
		if err := WriteRecord(p.Record, rec); err != nil {
			t.Fatal(err)
		}
	}
	s, err := Inspect(p)
	if err != nil {
		t.Fatal(err)
	}
	if d == nil {
		t.Fatal("Inspect never found the pidfile free: the test proves nothing")
	}
	if s.Unlocked || s.Pidfile.State != pidfile.Running || s.Pidfile.PID != d.pid || s.Record == nil || s.Record.PID != d.pid {
		t.Fatalf("Inspect = %+v, want running by the lock of pid %d, with its record, not Unlocked", s, d.pid)
	}
}
