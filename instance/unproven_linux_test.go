package instance

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// TestUnprovenHolderIsNotSignalled: a process that locks a stale pidfile, which names a
// daemon gone since, or nothing, without writing its own pid there, that no record names
// and no start of the instance launched, is no daemon of it: Inspect, Signal and Stop
// refuse, naming it, and it gets no signal. (The lock alone had it taken for a daemon
// still starting: stop sent it SIGTERM, then SIGKILL.) A start's mark on it, which every
// program a daemon runs inherits, proves nothing while no start of the instance is under
// way.
func TestUnprovenHolderIsNotSignalled(t *testing.T) {
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, content string
		env           []string
	}{
		{"a gone daemon's pid", strconv.Itoa(gone.Process.Pid) + "\n", nil},
		{"empty", "", nil},
		{"marked by another instance's start", strconv.Itoa(gone.Process.Pid) + "\n", []string{InvocationEnv + "=0123456789abcdef0123456789abcdef"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := testPaths(t, "web")
			if err := os.WriteFile(p.PIDFile, []byte(c.content), 0o644); err != nil {
				t.Fatal(err)
			}
			d := startDaemon(t, lockOnly, p.PIDFile, false, c.env...)
			if _, err := Inspect(p); !errors.Is(err, ErrUnprovenHolder) {
				t.Errorf("Inspect: %v, want ErrUnprovenHolder", err)
			}
			if pid, err := Signal(p, syscall.SIGUSR1); !errors.Is(err, ErrUnprovenHolder) {
				t.Errorf("Signal: pid %d, %v; want ErrUnprovenHolder", pid, err)
			}
			res, err := Stop(context.Background(), p, StopOptions{Timeout: 100 * time.Millisecond})
			if !errors.Is(err, ErrUnprovenHolder) || res.WasRunning {
				t.Errorf("Stop: %+v, %v; want ErrUnprovenHolder, nothing stopped", res, err)
			}
			mustRunning(t, d.pid, true)
			// A signal of the test's own comes after whatever the calls above sent: the first
			// line the holder writes is its own, "term", unless one of them signalled it first.
			if err := d.handle.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			if line := d.line(t); line != "term" {
				t.Errorf("the holder's first signal: %q, want the test's own SIGTERM", line)
			}
		})
	}
}

// TestHolderProvenByItsPID: the same holder, once the pidfile names it (as every daemon
// writes its pid as it takes the lock), is the daemon, and is signalled.
func TestHolderProvenByItsPID(t *testing.T) {
	p := testPaths(t, "web")
	if err := os.WriteFile(p.PIDFile, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, lockOnly, p.PIDFile, false)
	if err := os.WriteFile(p.PIDFile, []byte(strconv.Itoa(d.pid)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if pid, err := Signal(p, syscall.SIGUSR1); err != nil || pid != d.pid {
		t.Fatalf("Signal: pid %d, %v; want pid %d", pid, err, d.pid)
	}
	if line := d.line(t); line != "usr1" {
		t.Errorf("the holder's first signal: %q, want usr1", line)
	}
}
