package server

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/internal/testutil"
)

// TestNoRecordWriteAfterStopped: once stopped has written the run's last record, a write
// that comes after it (a log reopen, run beside the loop, ending after the stop) leaves
// the record as stopped wrote it, rather than put back the running record it holds.
func TestNoRecordWriteAfterStopped(t *testing.T) {
	path := filepath.Join(t.TempDir(), "web.json")
	running := instance.Record{Name: "web", PID: os.Getpid(), Program: "daemonkit", State: instance.StateRunning}
	if err := instance.WriteRecord(path, running); err != nil {
		t.Fatal(err)
	}
	rs := &records{path: path, rec: running, written: true}
	if err := rs.stopped(); err != nil {
		t.Fatal(err)
	}
	if err := rs.setLogProblem("could not reopen it"); err != nil {
		t.Fatal(err)
	}
	if err := rs.update(func(*instance.Record) {}); err != nil {
		t.Fatal(err)
	}
	got, err := instance.ReadRecord(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != instance.StateStopped || got.LogProblem != "" {
		t.Errorf("record after stopped and two later writes: state %q, log problem %q; want %q and none", got.State, got.LogProblem, instance.StateStopped)
	}
}

// TestUpdateRecordWhileDiskFrozen: a workload's UpdateRecord returns at once while the
// record's disk is frozen under a write, so that its goroutine (a supervisor's, on any
// thread, the one a stop's signal goes to among them) never sleeps in the kernel behind
// it; what it publishes meanwhile is written by one write more, not one each, and every
// change is in the record stopped writes. (UpdateRecord wrote inline, and a supervisor
// whose program had ended held the daemon's SIGTERM until the thaw.)
func TestUpdateRecordWhileDiskFrozen(t *testing.T) {
	began, thaw := stuckRecordWrites(t)
	path := filepath.Join(t.TempDir(), "web.json")
	running := instance.Record{Name: "web", PID: os.Getpid(), Program: "daemonkit", State: instance.StateRunning}
	if err := instance.WriteRecord(path, running); err != nil {
		t.Fatal(err)
	}
	rs := &records{path: path, rec: running, written: true}
	ctx := context.WithValue(context.Background(), recordsKey{}, rs)
	returned := make(chan struct{})
	go func() {
		defer close(returned)
		UpdateRecord(ctx, func(rec *instance.Record) { rec.Restarts = 1 })
		<-began // the write, stuck
		for i := range 100 {
			UpdateRecord(ctx, func(rec *instance.Record) { rec.Restarts, rec.LastExit = i+2, "exited with status 1" })
		}
	}()
	select {
	case <-returned:
	case <-time.After(testutil.Deadline):
		t.Fatal("UpdateRecord waited for the record's frozen disk")
	}
	select {
	case <-began:
		t.Fatal("a second write began beside the stuck one")
	case <-time.After(50 * time.Millisecond): // a wrong start shows at once; none is the rule
	}
	thaw()
	if err := rs.stopped(); err != nil {
		t.Fatal(err)
	}
	got, err := instance.ReadRecord(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != instance.StateStopped || got.Restarts != 101 || got.LastExit != "exited with status 1" {
		t.Errorf("record after the thaw and the stop: state %q, restarts %d, last exit %q; want %q, 101, the last one published",
			got.State, got.Restarts, got.LastExit, instance.StateStopped)
	}
}
