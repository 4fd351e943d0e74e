package server

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/daemonkit/daemonkit/internal/testutil"
)

// TestStopWhileRestoreStuck: a stop's SIGTERM is acted on at once while the pidfile's
// check, having found the state directory deleted, puts back what went with it and waits
// for the log's frozen disk to reopen the log (restoreBeside): the workload is cancelled
// and the loop returns, and the pidfile is released, not put back after the stop. (The
// check ran inline in the loop, and held the stop until the thaw.)
func TestStopWhileRestoreStuck(t *testing.T) {
	began := stuckReopens(t)
	r, _ := newTestRunner(t, time.Hour)
	r.opts.LogPath = filepath.Join(t.TempDir(), "x.log") // not there: it is reopened
	r.manager = &manager{}
	if err := os.Remove(r.opts.PIDFile); err != nil { // the loop's first check finds it gone
		t.Fatal(err)
	}
	done, res := make(chan error, 1), make(chan error, 1)
	go func() { res <- r.loop(context.Background(), nil, func(error) { done <- nil }, done) }()
	select {
	case <-began:
	case <-time.After(testutil.Deadline):
		t.Fatal("the restore did not reopen the log")
	}
	r.sigs.stop <- sigterm
	select {
	case err := <-res:
		if err != nil {
			t.Errorf("loop = %v", err)
		}
	case <-time.After(testutil.Deadline):
		t.Fatal("the stop waited for the restore stuck on the log's disk")
	}
	if _, err := os.Lstat(r.opts.PIDFile); !os.IsNotExist(err) {
		t.Errorf("the pidfile is there after the stop (%v)", err)
	}
}
