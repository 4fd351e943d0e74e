package instance

import (
	"context"
	"syscall"
	"testing"
	"time"
)

// TestStopKillStartingOwnStart: a caller that holds the instance's start lock itself
// (StopOptions.OwnStart, as restart does) and stops with SIGKILL a daemon still starting
// gets the record of a start called off written, and does not wait for a start to end
// that is its own: its stop returns once the daemon is gone.
func TestStopKillStartingOwnStart(t *testing.T) {
	p := testPaths(t, "web")
	s, err := BeginStart(context.Background(), p, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Done()
	t.Setenv(InvocationEnv, "run-2") // the daemon's, as a start launches it
	d := startDaemon(t, stubborn, p.PIDFile, false)
	begin := time.Now()
	res, err := Stop(context.Background(), p, StopOptions{Signal: syscall.SIGKILL, OwnStart: true})
	if err != nil || !res.WasRunning || res.PID != d.pid {
		t.Fatalf("Stop = %+v, %v; want daemon %d stopped", res, err, d.pid)
	}
	if took := time.Since(begin); took >= startEndWait {
		t.Fatalf("Stop took %v: it waited for its caller's own start to end", took)
	}
	_ = d.cmd.Wait() // killed: its exit status is the SIGKILL's
	d.reaped = true
	if got, err := ReadRecord(p.Record); err != nil || !got.CalledOffStart() || got.PID != d.pid {
		t.Fatalf("record = %+v, %v; want the start called off, of pid %d", got, err, d.pid)
	}
}

// TestStopKillStartingRanBefore: stop --signal KILL of a daemon still starting, of an
// instance that ran before, while a start other than the caller's holds its start lock
// (one suspended by Ctrl-Z, say): the record keeps the earlier run's program, so there is
// no record of a run that never was to remove once that start ends, and the stop does not
// wait for it to end.
func TestStopKillStartingRanBefore(t *testing.T) {
	p := testPaths(t, "web")
	if err := WriteRecord(p.Record, Record{Name: "web", PIDFile: p.PIDFile, Program: "/usr/bin/app", State: StateStopped}); err != nil {
		t.Fatal(err)
	}
	s, err := BeginStart(context.Background(), p, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Done()
	t.Setenv(InvocationEnv, "run-2")
	d := startDaemon(t, stubborn, p.PIDFile, false)
	begin := time.Now()
	res, err := Stop(context.Background(), p, StopOptions{Signal: syscall.SIGKILL})
	if err != nil || !res.WasRunning || res.PID != d.pid {
		t.Fatalf("Stop = %+v, %v; want daemon %d stopped", res, err, d.pid)
	}
	if took := time.Since(begin); took >= startEndWait {
		t.Fatalf("Stop took %v: it waited for a start to end though there was no record to remove", took)
	}
	_ = d.cmd.Wait()
	d.reaped = true
	if got, err := ReadRecord(p.Record); err != nil || !got.CalledOffStart() || got.Program != "/usr/bin/app" {
		t.Fatalf("record = %+v, %v; want the start called off, with the earlier run's program", got, err)
	}
}
