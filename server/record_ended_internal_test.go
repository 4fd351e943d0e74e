package server

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/daemonkit/daemonkit/instance"
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
