package server

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/internal/testutil"
)

// stopWithDrain runs the loop of a runner with a written record, stops it by SIGTERM, and
// has its workload return once drained says so (it is called with the cause as the
// workload is cancelled). It returns the states of the record's writes during the stop.
func stopWithDrain(t *testing.T, drained func(cause error, states func() []string)) []string {
	t.Helper()
	return stopRecordWithDrain(t, instance.Record{Name: "web", PID: os.Getpid(), Program: "daemonkit", State: instance.StateRunning}, drained)
}

// stopHook watches a stop of stopRecordWithDrain: write is called before each write of the
// record (a disk that freezes it), cancelled as the workload is cancelled, with the states
// the record was written until then.
type stopHook struct {
	write     func()
	cancelled func(states []string)
}

// stopRecordWithDrain is stopWithDrain of a run whose record is running, watched by hooks.
func stopRecordWithDrain(t *testing.T, running instance.Record, drained func(cause error, states func() []string), hooks ...stopHook) []string {
	t.Helper()
	r, _ := newTestRunner(t, time.Hour)
	path := filepath.Join(t.TempDir(), "web.json")
	if err := instance.WriteRecord(path, running); err != nil {
		t.Fatal(err)
	}
	r.records = &records{path: path, rec: running, written: true, log: r.log}
	var mu sync.Mutex
	var states []string
	t.Cleanup(func() { writeRecord = instance.WriteRecord })
	writeRecord = func(path string, rec instance.Record) error {
		for _, h := range hooks {
			if h.write != nil {
				h.write()
			}
		}
		mu.Lock()
		states = append(states, rec.State)
		mu.Unlock()
		return instance.WriteRecord(path, rec)
	}
	written := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), states...)
	}
	done := make(chan error, 1)
	r.sigs.stop <- syscall.SIGTERM
	res := make(chan error, 1)
	go func() {
		res <- r.loop(context.Background(), nil, func(cause error) {
			for _, h := range hooks {
				if h.cancelled != nil {
					h.cancelled(written())
				}
			}
			go func() { drained(cause, written); done <- nil }()
		}, done)
	}()
	if err := waitErr(t, res); err != nil {
		t.Errorf("loop = %v", err)
	}
	if rec, err := instance.ReadRecord(path); err != nil || rec.State != instance.StateStopped {
		t.Errorf("record once stopped = %+v, %v; want it stopped", rec, err)
	}
	return written()
}

// TestQuickDrainNoStoppingWrite: a workload that drains at once goes from running to
// stopped without the record's "stopping" write, a sync less on every such stop.
func TestQuickDrainNoStoppingWrite(t *testing.T) {
	defer func(d time.Duration) { stoppingMarkDelay = d }(stoppingMarkDelay)
	stoppingMarkDelay = time.Hour // whatever the machine's load, the drain ends first
	if got := stopWithDrain(t, func(error, func() []string) {}); len(got) != 0 {
		t.Errorf("a stop whose drain ended at once wrote the record %d times (states %q), want none before it is marked stopped", len(got), got)
	}
}

// TestSlowDrainSaysStopping: a workload that drains for longer than stoppingMarkDelay is
// marked stopping while it drains.
func TestSlowDrainSaysStopping(t *testing.T) {
	defer func(d time.Duration) { stoppingMarkDelay = d }(stoppingMarkDelay)
	stoppingMarkDelay = time.Millisecond
	stopWithDrain(t, func(_ error, states func() []string) {
		awaitStopping(t, states, "a drain that went on")
	})
}

// TestSupervisedDrainSaysStoppingAtOnce: a supervised program's record says stopping as
// its drain begins, however soon it ends: the program's end, published as it drains, is
// written in its own right, and written running it told status of a daemon that ran on
// without its program (Status.Program's Gone), and reload of one to reload.
func TestSupervisedDrainSaysStoppingAtOnce(t *testing.T) {
	defer func(d time.Duration) { stoppingMarkDelay = d }(stoppingMarkDelay)
	stoppingMarkDelay = time.Hour // the mark must not wait for it
	running := instance.Record{Name: "web", PID: os.Getpid(), Program: "daemonkit", State: instance.StateRunning,
		Command: []string{"sleep", "1000"}, ChildPID: os.Getpid()}
	stopRecordWithDrain(t, running, func(_ error, states func() []string) {
		awaitStopping(t, states, "a supervised program's drain")
	})
}

// TestStoppedWritesPublishedOnce: what the workload published and no flush wrote yet (a
// supervised program's restarts, its exit status) reaches the file with the mark stopped,
// in one write of the record where a write and then the mark were two.
func TestStoppedWritesPublishedOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "web.json")
	running := instance.Record{Name: "web", PID: os.Getpid(), Program: "daemonkit", State: instance.StateRunning}
	writes := countedWrites(t, path, running)
	published := running
	published.Restarts, published.LastExit = 3, "exited with status 0"
	rs := &records{path: path, rec: published, written: true, unwritten: true}
	if err := rs.stopped(); err != nil {
		t.Fatal(err)
	}
	got, err := instance.ReadRecord(path)
	if err != nil || got.State != instance.StateStopped || got.Restarts != 3 || got.LastExit != "exited with status 0" || got.AliveTicks == 0 {
		t.Errorf("record once stopped = %+v, %v; want it stopped, with the restarts and the exit published, stamped alive", got, err)
	}
	if *writes != 0 {
		t.Errorf("the published record was written apart from its mark (%d writes)", *writes)
	}
}

// TestStoppedOtherRecordAsBefore: where the file is not this run's (another pid), the
// daemon writes what it holds and marks it, as it always did.
func TestStoppedOtherRecordAsBefore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "web.json")
	other := instance.Record{Name: "web", PID: os.Getpid() + 1, Program: "daemonkit", State: instance.StateRunning}
	writes := countedWrites(t, path, other)
	mine := other
	mine.PID, mine.Restarts = os.Getpid(), 3
	rs := &records{path: path, rec: mine, written: true, unwritten: true}
	if err := rs.stopped(); err != nil {
		t.Fatal(err)
	}
	got, err := instance.ReadRecord(path)
	if err != nil || got.State != instance.StateStopped || got.Restarts != 3 || *writes != 1 {
		t.Errorf("record once stopped = %+v, %v after %d writes; want this run's, stopped, after one write and the mark", got, err, *writes)
	}
}

// TestSupervisedStoppingBeforeSignal: a supervised program's record says stopping before
// the program is told to stop (the workload cancelled): one that ends the instant it gets
// SIGTERM was otherwise seen, by a status between its end and the mark, as running with
// its main process ended and "'restart' starts it again" (10 of 30 stops polled so).
func TestSupervisedStoppingBeforeSignal(t *testing.T) {
	running := instance.Record{Name: "web", PID: os.Getpid(), Program: "daemonkit", State: instance.StateRunning,
		Command: []string{"sleep", "1000"}, ChildPID: os.Getpid()}
	stopRecordWithDrain(t, running, func(error, func() []string) {}, stopHook{cancelled: func(s []string) {
		if len(s) == 0 || s[0] != instance.StateStopping {
			t.Errorf("when its program was told to stop, the record had been written %q; want it stopping first", s)
		}
	}})
}

// TestSupervisedStopSignalNotHeldByFrozenRecord: the stop signal waits for the stopping
// mark only so long (stoppingMarkFirst): a record whose disk is frozen does not keep the
// program from its stop.
func TestSupervisedStopSignalNotHeldByFrozenRecord(t *testing.T) {
	defer func(d time.Duration) { stoppingMarkFirst = d }(stoppingMarkFirst)
	stoppingMarkFirst = time.Millisecond
	thaw := make(chan struct{})
	running := instance.Record{Name: "web", PID: os.Getpid(), Program: "daemonkit", State: instance.StateRunning,
		Command: []string{"sleep", "1000"}, ChildPID: os.Getpid()}
	told := make(chan struct{})
	go func() {
		select {
		case <-told:
		case <-time.After(testutil.Deadline):
			t.Errorf("the program was not told to stop within %s while its record's write hung", testutil.Deadline)
		}
		close(thaw)
	}()
	stopRecordWithDrain(t, running, func(error, func() []string) {}, stopHook{write: func() { <-thaw }, cancelled: func([]string) { close(told) }})
}

// awaitStopping returns once the last of the record's writes, states, says stopping, or
// reports an error after testutil.Deadline of what (the drain). Not testutil.WaitFor: it
// runs in the workload's drain, beside the test, and must return for the loop to.
func awaitStopping(t *testing.T, states func() []string, what string) {
	for end := time.Now().Add(testutil.Deadline); ; time.Sleep(time.Millisecond) {
		if s := states(); len(s) > 0 && s[len(s)-1] == instance.StateStopping {
			return
		}
		if time.Now().After(end) {
			t.Errorf("the record did not say stopping within %s of %s (writes: %q)", testutil.Deadline, what, states())
			return
		}
	}
}

// countedWrites writes rec at path, and then counts the record writes the daemon makes
// (writeRecord), until the test's end.
func countedWrites(t *testing.T, path string, rec instance.Record) *int {
	t.Helper()
	if err := instance.WriteRecord(path, rec); err != nil {
		t.Fatal(err)
	}
	writes := 0
	t.Cleanup(func() { writeRecord = instance.WriteRecord })
	writeRecord = func(path string, rec instance.Record) error {
		writes++
		return instance.WriteRecord(path, rec)
	}
	return &writes
}
