package server_test

import (
	"os"
	"syscall"
	"testing"
	"time"

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
