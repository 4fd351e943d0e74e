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
	r, _ := newTestRunner(t, time.Hour)
	path := filepath.Join(t.TempDir(), "web.json")
	running := instance.Record{Name: "web", PID: os.Getpid(), Program: "daemonkit", State: instance.StateRunning}
	if err := instance.WriteRecord(path, running); err != nil {
		t.Fatal(err)
	}
	r.records = &records{path: path, rec: running, written: true, log: r.log}
	var mu sync.Mutex
	var states []string
	t.Cleanup(func() { writeRecord = instance.WriteRecord })
	writeRecord = func(path string, rec instance.Record) error {
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
		// Not testutil.WaitFor: this runs beside the test, and must return for the loop to.
		for end := time.Now().Add(testutil.Deadline); ; time.Sleep(time.Millisecond) {
			if s := states(); len(s) > 0 && s[len(s)-1] == instance.StateStopping {
				return
			}
			if time.Now().After(end) {
				t.Errorf("the record did not say stopping within %s of a drain that went on (writes: %q)", testutil.Deadline, states())
				return
			}
		}
	})
}
