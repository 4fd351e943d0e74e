package server_test

import (
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/internal/testutil"
	"github.com/daemonkit/daemonkit/pidfile"
)

// TestPIDFileRepairedWithoutPolling: on Linux the daemon watches its pidfile's directory,
// so a pidfile deleted by hand is put back at once even when the poll is an hour away.
func TestPIDFileRepairedWithoutPolling(t *testing.T) {
	opts := testOptions(t)
	opts.PIDFileCheck = time.Hour
	d := startDaemon(t, helperCfg{Options: opts}, false)
	d.ready(t)
	if err := os.Remove(opts.PIDFile); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, "the deleted pidfile to be put back", func() bool {
		st, err := pidfile.Probe(opts.PIDFile)
		return err == nil && st.State == pidfile.Running && st.PID == d.pid && st.FilePID == d.pid
	})
	d.signal(t, syscall.SIGTERM)
	if code := d.wait(t); code != 0 {
		t.Errorf("exit %d; log:\n%s", code, d.log())
	}
}

// TestRecordRepairedWithoutPolling: a record deleted alone, the pidfile left, is put back
// at once even when the poll is an hour away: the daemon watches it beside its pidfile.
// It is deleted twice: the first may come before the watch began, and be put back by the
// check the loop makes as it begins; the second comes after a check, whose watch sees it.
func TestRecordRepairedWithoutPolling(t *testing.T) {
	opts := testOptions(t)
	opts.PIDFileCheck = time.Hour
	d := startDaemon(t, helperCfg{Options: opts}, false)
	d.ready(t)
	for _, round := range []string{"first", "second"} {
		if err := os.Remove(opts.RecordPath); err != nil {
			t.Fatalf("%s removal: %v", round, err)
		}
		testutil.WaitFor(t, "the deleted record to be put back ("+round+" time)", func() bool {
			rec, err := instance.ReadRecord(opts.RecordPath)
			return err == nil && rec.PID == d.pid
		})
	}
	d.signal(t, syscall.SIGTERM)
	if code := d.wait(t); code != 0 {
		t.Errorf("exit %d; log:\n%s", code, d.log())
	}
}
