package server

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/internal/testutil"
	"github.com/daemonkit/daemonkit/logfile"
)

// stuckRecordWrites makes the record's writes block (its disk frozen) until thaw is
// called, or the test ends, and returns a channel that receives as each one begins.
func stuckRecordWrites(t *testing.T) (began <-chan string, thaw func()) {
	t.Helper()
	writes, thawed := make(chan string, 8), make(chan struct{})
	var once sync.Once
	was := writeRecord
	writeRecord = func(path string, rec instance.Record) error {
		writes <- path
		<-thawed
		return was(path, rec)
	}
	thaw = func() { once.Do(func() { writeRecord = was; close(thawed) }) }
	t.Cleanup(thaw)
	return writes, thaw
}

// TestChoresAskedWhileOneRunsFollowOnce: chores asked for while a batch is stuck (its disk
// frozen, the loop ticking on) start nothing beside it: once it ends, one batch follows
// for all of them, then the loop is idle. (A check of the pidfile ran inline in the loop.)
func TestChoresAskedWhileOneRunsFollowOnce(t *testing.T) {
	began, thaw := stuckRecordWrites(t)
	r, _ := newTestRunner(t, time.Hour)
	r.records = &records{path: filepath.Join(t.TempDir(), "x.json"), written: true}
	r.askChores(rewriteRecord)
	<-began
	for range 5 {
		r.askChores(recheckPIDFile)
		r.askChores(rewriteRecord)
	}
	select {
	case <-began:
		t.Fatal("a second batch of chores began beside the stuck one")
	case <-time.After(50 * time.Millisecond): // a wrong start shows at once; none is the rule
	}
	thaw()
	<-r.chores.done
	if ended, _ := r.choresEnded(); ended != rewriteRecord {
		t.Errorf("the batch that ended was %b, want %b", ended, rewriteRecord)
	}
	if r.chores.done == nil || r.chores.cur != recheckPIDFile|rewriteRecord {
		t.Fatalf("the chores asked for meanwhile did not follow as one batch: %b", r.chores.cur)
	}
	<-r.chores.done
	if ended, ours := r.choresEnded(); !ours || ended != recheckPIDFile|rewriteRecord {
		t.Errorf("the batch that followed: %b, pidfile ours %v", ended, ours)
	}
	if r.chores.done != nil {
		t.Error("a third batch began: the ten asked for meanwhile were not one")
	}
}

// TestStopWhileRecordWriteStuck: a stop's SIGTERM reaches the work at once while the
// record's disk is frozen under a write the loop asked for (here a count of dropped log
// lines; a reload's restamp and a record put back are chores too), not at the thaw.
func TestStopWhileRecordWriteStuck(t *testing.T) {
	began, thaw := stuckRecordWrites(t)
	r, _ := newTestRunner(t, time.Hour)
	r.records = &records{path: filepath.Join(t.TempDir(), "x.json"), written: true}
	r.manager = &manager{}
	r.opts.LogWriter = droppingWriter(t)
	drops := make(chan struct{}, 1)
	drops <- struct{}{} // the writer's OnDrop
	r.drops = drops
	done, cancelled := make(chan error, 1), make(chan struct{})
	cancel := func(error) { close(cancelled); done <- nil }
	res := make(chan error, 1)
	go func() { res <- r.loop(context.Background(), nil, cancel, done) }()
	testutil.Receive(t, began, "the count of dropped lines to be written")
	r.sigs.stop <- sigterm
	testutil.Receive(t, cancelled, "the stop, which waited for the stuck record write")
	thaw() // the stop's own record write waits for it, as a daemon's exit does for a thaw
	if err := waitErr(t, res); err != nil {
		t.Errorf("loop = %v", err)
	}
}

// droppingWriter is a log writer that has dropped a line (its disk is full).
func droppingWriter(t *testing.T) *logfile.Writer {
	t.Helper()
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip("no /dev/full:", err)
	}
	t.Cleanup(func() { full.Close() })
	w := logfile.NewFileWriter(full)
	_, _ = w.Write([]byte("a line the full disk drops\n"))
	return w
}
