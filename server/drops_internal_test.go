package server

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/logfile"
)

// TestCountDropsOnFullDisk: when the record cannot be written, as when the log's disk is
// full, countDrops says so once, not at every count: the line it logs goes to the same
// full log, is one more drop, and would make another count, and another line, without
// end (a daemon at 60 % of a core, its count of dropped lines made up of its own
// warnings).
func TestCountDropsOnFullDisk(t *testing.T) {
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip("no /dev/full:", err)
	}
	defer full.Close()
	w := logfile.NewFileWriter(full)
	drops := make(chan struct{}, 1)
	w.OnDrop = func(uint64, error) {
		select {
		case drops <- struct{}{}:
		default:
		}
	}
	r := &runner{
		opts: Options{LogWriter: w},
		// written, at a path in no directory: every update fails, as on a full disk
		records: &records{path: filepath.Join(t.TempDir(), "gone", "x.json"), written: true},
		log:     hclog.New(&hclog.LoggerOptions{Output: w}),
		drops:   drops,
	}
	r.log.Info("a line the full disk drops")
	for i := range 3 {
		select {
		case <-drops:
		default:
			if i == 0 {
				t.Fatal("the first dropped line was not reported")
			}
			return // the last count logged nothing, so dropped nothing: no loop
		}
		r.countDrops()
	}
	t.Errorf("every count of dropped lines logged a line that was dropped in turn (%d dropped): a loop without end", w.Dropped())
}

// TestCountDropsWithoutRoomForTheCause: where the record cannot be written with the cause
// of the drops (a full disk leaves only the old record's blocks, and it does not fit
// there), the count is written without it: status must say lines were lost.
func TestCountDropsWithoutRoomForTheCause(t *testing.T) {
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip("no /dev/full:", err)
	}
	defer full.Close()
	w := logfile.NewFileWriter(full)
	path := filepath.Join(t.TempDir(), "x.json")
	if err := instance.WriteRecord(path, instance.Record{Name: "x", Program: "daemonkit"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { writeRecord = instance.WriteRecord })
	writeRecord = func(path string, r instance.Record) error {
		if r.DroppedLogCause != "" {
			return errors.New("the new record does not fit in the old one's blocks")
		}
		return instance.WriteRecord(path, r)
	}
	r := &runner{
		opts:    Options{LogWriter: w},
		records: &records{path: path, rec: instance.Record{Name: "x", Program: "daemonkit"}, written: true},
		log:     hclog.NewNullLogger(),
	}
	_, _ = w.Write([]byte("a line the full disk drops\n"))
	r.countDrops()
	got, err := instance.ReadRecord(path)
	if err != nil || got.DroppedLogLines != 1 || got.DroppedLogCause != "" {
		t.Fatalf("the record = %+v, %v; want 1 line dropped, without its cause", got, err)
	}
}
