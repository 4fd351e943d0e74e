package server

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/internal/testutil"
	"github.com/daemonkit/daemonkit/pidfile"
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
	testutil.Receive(t, began, "the restore to reopen the log")
	r.sigs.stop <- sigterm
	if err := testutil.Receive(t, res, "the stop, which waited for the restore stuck on the log's disk"); err != nil {
		t.Errorf("loop = %v", err)
	}
	if _, err := os.Lstat(r.opts.PIDFile); !os.IsNotExist(err) {
		t.Errorf("the pidfile is there after the stop (%v)", err)
	}
}

// TestRestoreWhileLogFrozen: a pidfile and a record deleted (rm -rf of the state
// directory) are put back while the log's disk is frozen, not at its thaw: the lines that
// say so wait for it. (They were logged first, and meanwhile status said the daemon was not
// running, and a start would have run a second one.)
func TestRestoreWhileLogFrozen(t *testing.T) {
	r, _ := newTestRunner(t, time.Hour)
	r.manager = &manager{}
	thawed, once := make(chan struct{}), sync.Once{}
	thaw := func() { once.Do(func() { close(thawed) }) }
	t.Cleanup(thaw)
	r.log = hclog.New(&hclog.LoggerOptions{Output: frozenWriter(thawed)})
	rec := filepath.Join(filepath.Dir(r.opts.PIDFile), "x.json")
	r.records = &records{path: rec, rec: instance.Record{Name: "x", PID: os.Getpid(), Program: "daemonkit"}, written: true}
	if err := os.Remove(r.opts.PIDFile); err != nil { // the loop's first check finds it gone
		t.Fatal(err)
	}
	done, res := make(chan error, 1), make(chan error, 1)
	go func() { res <- r.loop(context.Background(), nil, func(error) { done <- nil }, done) }()
	testutil.WaitFor(t, "the pidfile and the record put back while the log is frozen", func() bool {
		st, err := pidfile.Probe(r.opts.PIDFile)
		_, recErr := os.Lstat(rec)
		return err == nil && st.State == pidfile.Running && st.PID == os.Getpid() && recErr == nil
	})
	thaw()
	r.sigs.stop <- sigterm
	if err := waitErr(t, res); err != nil {
		t.Errorf("loop = %v", err)
	}
}

// frozenWriter is a log whose writes wait for thawed to be closed (its disk frozen).
type frozenWriter chan struct{}

func (w frozenWriter) Write(p []byte) (int, error) {
	<-w
	return len(p), nil
}
