package instance

import (
	"errors"
	"syscall"
	"testing"
)

// TestSignalDaemonOnlyTheOneLookedAt: SignalDaemon signals the daemon it is given when it
// still holds the pidfile, and nothing when another holds it (a daemon that replaced the
// one looked at): the error wraps ErrReplaced and names both.
func TestSignalDaemonOnlyTheOneLookedAt(t *testing.T) {
	p := testPaths(t, "svc")
	d := startDaemon(t, graceful, p.PIDFile, false)
	gone := startSleep(t) // stands for the daemon looked at, gone since: not the holder
	var replaced *ReplacedError
	if pid, err := SignalDaemon(p, gone, StartTime(gone), syscall.SIGUSR1); !errors.Is(err, ErrReplaced) || !errors.As(err, &replaced) ||
		replaced.Was != gone || replaced.Now != d.pid || pid != 0 {
		t.Fatalf("SignalDaemon(another pid) = %d, %v; want ErrReplaced, was %d, now %d", pid, err, gone, d.pid)
	}
	if pid, err := SignalDaemon(p, d.pid, StartTime(d.pid), syscall.SIGUSR1); err != nil || pid != d.pid {
		t.Fatalf("SignalDaemon(its pid) = %d, %v; want %d", pid, err, d.pid)
	}
	if l := d.line(t); l != "usr1" { // one usr1: the first call sent nothing
		t.Fatalf("daemon said %q, want usr1", l)
	}
	mustRunning(t, d.pid, true)
}

// TestSignalDaemonNotTheSamePIDGivenAgain: a daemon that holds the pidfile under the pid
// looked at, but started at another time than the one looked at (its pid, given again to
// a daemon started since), is not signalled: the error wraps ErrReplaced, and says the pid
// is the same.
func TestSignalDaemonNotTheSamePIDGivenAgain(t *testing.T) {
	p := testPaths(t, "svc")
	d := startDaemon(t, graceful, p.PIDFile, false)
	start := StartTime(d.pid)
	if start == 0 {
		t.Skip("no start time to tell processes apart by here")
	}
	if st, err := Inspect(p); err != nil || st.PID() != d.pid || st.StartTime != start {
		t.Fatalf("Inspect = pid %d, start time %d, %v; want pid %d, start time %d", st.PID(), st.StartTime, err, d.pid, start)
	}
	// The one looked at: the same pid, but another start time, as a daemon before this one
	// under a pid the kernel gave again has.
	var replaced *ReplacedError
	if pid, err := SignalDaemon(p, d.pid, start-1, syscall.SIGUSR1); !errors.Is(err, ErrReplaced) || !errors.As(err, &replaced) ||
		!replaced.Reused() || replaced.Now != d.pid || pid != 0 {
		t.Fatalf("SignalDaemon(its pid, another start time) = %d, %v; want ErrReplaced, the same pid %d", pid, err, d.pid)
	}
	if pid, err := SignalDaemon(p, d.pid, start, syscall.SIGUSR1); err != nil || pid != d.pid {
		t.Fatalf("SignalDaemon(its pid, its start time) = %d, %v; want %d", pid, err, d.pid)
	}
	if l := d.line(t); l != "usr1" {
		t.Fatalf("daemon said %q, want usr1", l)
	}
	mustRunning(t, d.pid, true)
}
