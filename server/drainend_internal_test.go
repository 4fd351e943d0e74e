package server

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A workload that returned as its drain's bound passed (a loop late to look, on a loaded
// machine) finds both ready when the drain waits: select picks either at random, and the
// bound's pick cut a drain that had ended, which loses the workload's error, its program's
// exit code with it. The end that came is the drain's outcome.
func TestDrainEndedAtItsBound(t *testing.T) {
	r, _ := newTestRunner(t, time.Nanosecond)
	ended := errors.New("the workload's own end")
	for i := range 100 {
		done := make(chan error, 1)
		done <- ended
		if err := r.wait(done, nil, time.Now().Add(-time.Hour)); !errors.Is(err, ended) {
			t.Fatalf("try %d: the drain ended with %v, want the workload's own end", i, err)
		}
	}
}

// A second stop signal that comes as the workload returns is no cut either: the drain had
// ended.
func TestDrainEndedAtSecondStop(t *testing.T) {
	r, _ := newTestRunner(t, time.Hour)
	ended := errors.New("the workload's own end")
	for i := range 100 {
		done := make(chan error, 1)
		done <- ended
		again := make(chan os.Signal, 1)
		again <- syscall.SIGINT
		if err := r.wait(done, again, time.Now()); !errors.Is(err, ended) {
			t.Fatalf("try %d: the drain ended with %v, want the workload's own end", i, err)
		}
	}
}

// killedWork is a workload killed when its drain is cut: it returns its own end at once.
type killedWork struct {
	WorkloadFunc
	done chan error
	end  error
}

func (k *killedWork) Kill() { k.done <- k.end }

// A workload that returned as KillGrace after its Kill passed (a runtime late to look)
// finds both ready: select picks either at random, and the grace's pick logged an ERROR
// that it did not end and returned the cut, not its own end (its program's exit code).
func TestKilledWorkEndedAtKillGrace(t *testing.T) {
	r, logged := newTestRunner(t, time.Nanosecond)
	over := make(chan time.Time)
	close(over) // KillGrace has passed, whenever the runtime looks
	r.killGraceOver = func() <-chan time.Time { return over }
	ended := errors.New("the workload's own end")
	for i := range 100 {
		w := &killedWork{done: make(chan error, 1), end: ended}
		cut, err := r.drain(w, w.done, time.Now().Add(-time.Hour))
		if !errors.Is(err, ended) || cut == nil {
			t.Fatalf("try %d: the drain ended with %v (cut %v), want the workload's own end, the drain cut", i, err, cut)
		}
	}
	if log := logged.String(); strings.Contains(log, "did not end after it was killed") {
		t.Errorf("a workload that ended said not to have:\n%s", log)
	}
}

// A workload whose own drain ran out of the same shutdown timeout (the built-in server's
// "drain http: context deadline exceeded") ends just after the drain's bound: on a loaded
// machine its end is there before the runtime looks, and is taken. Its drain was cut short
// all the same, and the log says so, and what to do, not a bare "context deadline exceeded".
func TestDrainRanOutOfItsOwnTime(t *testing.T) {
	r, log := newTestRunner(t, 300*time.Millisecond)
	done := make(chan error, 1)
	done <- fmt.Errorf("drain http: %w", context.DeadlineExceeded)
	cut, err := r.drain(WorkloadFunc(nil), done, time.Now().Add(-time.Second))
	if cut == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("drain: %v, cut %v; want the workload's own error, cut", err, cut)
	}
	if want := `drain cut short: error="still draining after 300ms, its shutdown timeout: what it still served is cut off (give it a longer --shutdown-timeout if its work needs longer to finish)" work_error="drain http: context deadline exceeded"`; !strings.Contains(log.String(), want) {
		t.Errorf("log:\n%s\nwant a line with %s", log.String(), want)
	}
}
