package proc

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"testing"
	"time"
)

func TestStatState(t *testing.T) {
	for _, tc := range []struct {
		line string
		want byte
		ok   bool
	}{
		{"123 (sleep) S 1 2 3", 'S', true},
		{"123 (a) Z (b)) R 1 2", 'R', true},
		{"123 (x y) Z 1", 'Z', true},
		{"123 ()) (() T 0", 'T', true},
		{"123 (sleep", 0, false},
		{"123 (sleep)", 0, false},
		{"123 (sleep)S", 0, false},
		{"", 0, false},
	} {
		got, err := statState([]byte(tc.line))
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("statState(%q) = %q, %v; want %q, ok=%v", tc.line, got, err, tc.want, tc.ok)
		}
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(deadline)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond) // a polling step, not a wait on luck
	}
}

// procState returns the state letter of /proc/PID/stat, or 0 if it cannot be read.
func procState(pid int) byte {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s, err := statState(b)
	if err != nil {
		return 0
	}
	return s
}

func TestZombieIsNotRunning(t *testing.T) {
	cmd := startSleep(t)
	pid := cmd.Process.Pid
	before, err := Open(pid)
	if err != nil {
		t.Fatalf("Open before kill: %v", err)
	}
	defer before.Close()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// Not reaped: the child stays a zombie until the cleanup's Wait.
	waitFor(t, "zombie state", func() bool { return procState(pid) == 'Z' })

	mustRunning(t, pid, false)
	if p, err := Open(pid); !errors.Is(err, ErrGone) {
		if p != nil {
			p.Close()
		}
		t.Fatalf("Open(zombie) = %v, want ErrGone", err)
	}
	if err := before.Signal(syscall.SIGTERM); !errors.Is(err, ErrGone) {
		t.Fatalf("Signal(zombie) = %v, want ErrGone", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	if err := before.Wait(ctx); err != nil {
		t.Fatalf("Wait(zombie) = %v, want nil", err)
	}
	// An exited process wins over an ended ctx.
	done, cancelDone := context.WithCancel(context.Background())
	cancelDone()
	if err := before.Wait(done); err != nil {
		t.Fatalf("Wait(zombie, cancelled ctx) = %v, want nil", err)
	}
}
