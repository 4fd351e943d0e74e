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
