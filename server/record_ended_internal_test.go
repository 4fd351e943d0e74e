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

// TestUpdateRecordWhileDiskFrozen: once a stop has begun, a workload's UpdateRecord
// returns at once while the record's disk is frozen under a write, so that its goroutine (a
// supervisor's, that is to stop its program) is not held, nor its thread asleep in the
// kernel, where it could take the stop's signal; what it publishes meanwhile is written by
// one write more, not one each, and every change is in the record stopped writes.
// (UpdateRecord wrote inline, and a supervisor whose program had ended held the daemon's
// SIGTERM until the thaw.)
func TestUpdateRecordWhileDiskFrozen(t *testing.T) {
	began, thaw := stuckRecordWrites(t)
	path := filepath.Join(t.TempDir(), "web.json")
	running := instance.Record{Name: "web", PID: os.Getpid(), Program: "daemonkit", State: instance.StateRunning}
	if err := instance.WriteRecord(path, running); err != nil {
		t.Fatal(err)
	}
	rs := &records{path: path, rec: running, written: true}
	ctx, stop := context.WithCancel(context.WithValue(context.Background(), recordsKey{}, rs))
	defer stop()
	returned := make(chan struct{})
	go func() {
		defer close(returned)
		UpdateRecord(ctx, func(rec *instance.Record) { rec.Restarts = 1 }) // until the stop
		for i := range 100 {
			UpdateRecord(ctx, func(rec *instance.Record) { rec.Restarts, rec.LastExit = i+2, "exited with status 1" })
		}
	}()
	<-began // the first write, stuck
	stop()
	select {
	case <-returned:
	case <-time.After(testutil.Deadline):
		t.Fatal("UpdateRecord waited for the record's frozen disk after the stop began")
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

// TestUpdateRecordReturnsWritten: without a stop, UpdateRecord returns once the record on
// disk has the change: a command that reads it next (restart after an upgrade) sees it.
func TestUpdateRecordReturnsWritten(t *testing.T) {
	path := filepath.Join(t.TempDir(), "web.json")
	running := instance.Record{Name: "web", PID: os.Getpid(), Program: "daemonkit", State: instance.StateRunning}
	rs := &records{path: path, rec: running, written: true}
	ctx := context.WithValue(context.Background(), recordsKey{}, rs)
	for i := range 20 {
		UpdateRecord(ctx, func(rec *instance.Record) { rec.Restarts = i + 1 })
		if got, err := instance.ReadRecord(path); err != nil || got.Restarts != i+1 {
			t.Fatalf("record after UpdateRecord returned: %v, restarts %d; want %d", err, got.Restarts, i+1)
		}
	}
}

// TestUpdateRecordWrittenBesideALock: a change published while another of the record's
// users (a log reopen's setLogProblem, which writes nothing when the problem is the same)
// takes the record's lock, and applies the change there, is on disk all the same once
// UpdateRecord returns: the lock once applied it and closed its done without a write, and
// the flush, finding nothing left to apply, wrote nothing (a review found 645 of 2000 so).
func TestUpdateRecordWrittenBesideALock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "web.json")
	running := instance.Record{Name: "web", PID: os.Getpid(), Program: "daemonkit", State: instance.StateRunning}
	if err := instance.WriteRecord(path, running); err != nil {
		t.Fatal(err)
	}
	rs := &records{path: path, rec: running, written: true}
	ctx := context.WithValue(context.Background(), recordsKey{}, rs)
	for i := 1; i <= 1000; i++ {
		locked := make(chan struct{})
		go func() { _ = rs.setLogProblem(""); close(locked) }()
		UpdateRecord(ctx, func(rec *instance.Record) { rec.Restarts = i })
		if got, err := instance.ReadRecord(path); err != nil || got.Restarts != i {
			t.Fatalf("round %d: record after UpdateRecord returned: %v, restarts %d", i, err, got.Restarts)
		}
		<-locked
	}
}
