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
	if pid, err := SignalDaemon(p, gone, syscall.SIGUSR1); !errors.Is(err, ErrReplaced) || !errors.As(err, &replaced) ||
		replaced.Was != gone || replaced.Now != d.pid || pid != 0 {
		t.Fatalf("SignalDaemon(another pid) = %d, %v; want ErrReplaced, was %d, now %d", pid, err, gone, d.pid)
	}
	if pid, err := SignalDaemon(p, d.pid, syscall.SIGUSR1); err != nil || pid != d.pid {
		t.Fatalf("SignalDaemon(its pid) = %d, %v; want %d", pid, err, d.pid)
	}
	if l := d.line(t); l != "usr1" { // one usr1: the first call sent nothing
		t.Fatalf("daemon said %q, want usr1", l)
	}
	mustRunning(t, d.pid, true)
}
