package server

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/internal/testutil"
)

// TestPublishedWriteFailureIsLogged: when what a workload publishes (its program's pid,
// its restarts) cannot be written (a read-only or full state directory), the log says so
// once, and once again when the record can be written again: status and list show what
// the record said before, as news, and only the log can tell the operator why. (Such
// failures were dropped without a word: status went on naming a program pid long gone.)
func TestPublishedWriteFailureIsLogged(t *testing.T) {
	path := filepath.Join(t.TempDir(), "web.json")
	running := instance.Record{Name: "web", PID: os.Getpid(), Program: "daemonkit", State: instance.StateRunning}
	if err := instance.WriteRecord(path, running); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { writeRecord = instance.WriteRecord })
	writeRecord = func(string, instance.Record) error {
		return errors.New(`write record "web.json": read-only file system`)
	}
	logged := &testutil.Buffer{}
	rs := &records{path: path, rec: running, written: true, log: hclog.New(&hclog.LoggerOptions{Output: logged})}
	ctx := context.WithValue(context.Background(), recordsKey{}, rs)
	for pid := range 3 {
		UpdateRecord(ctx, func(rec *instance.Record) { rec.SetChild(100 + pid) })
	}
	testutil.WaitFor(t, "a line that says the record could not be written", func() bool {
		return strings.Contains(logged.String(), "could not write the record")
	})
	if n := strings.Count(logged.String(), "could not write the record"); n != 1 || !strings.Contains(logged.String(), "read-only file system") {
		t.Errorf("three failed writes logged %d lines (want 1, with the error):\n%s", n, logged)
	}
	writeRecord = instance.WriteRecord
	UpdateRecord(ctx, func(rec *instance.Record) { rec.SetChild(200) })
	testutil.WaitFor(t, "a line that says the record is written again", func() bool {
		return strings.Contains(logged.String(), "the record is written again")
	})
	if got, err := instance.ReadRecord(path); err != nil || got.ChildPID != 200 {
		t.Errorf("the record once it could be written = %+v, %v; want child pid 200", got, err)
	}
}

// TestFirstWriteSaysTheFix: a start whose record cannot be written once it is ready (its
// state directory filled up after its pidfile was written) fails saying which file system
// refused it and the fix, as one whose pidfile or start lock could not be written does.
func TestFirstWriteSaysTheFix(t *testing.T) {
	dir := t.TempDir()
	t.Cleanup(func() { writeRecord = instance.WriteRecord })
	writeRecord = func(path string, _ instance.Record) error {
		return &os.PathError{Op: "write", Path: path + ".tmp", Err: syscall.ENOSPC}
	}
	rs := &records{path: filepath.Join(dir, "web.json")}
	err := rs.first(Options{Name: "web"}, time.Now(), "", 0, "")
	if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "the file system of "+dir+" is full") || !strings.Contains(err.Error(), "--state-dir") {
		t.Errorf("first write on a full disk = %v; want ENOSPC, the directory's file system said full, and the flag that picks another", err)
	}
}
