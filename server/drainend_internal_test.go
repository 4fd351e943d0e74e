package server

import (
	"errors"
	"os"
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
