package proc

import (
	"context"
	"errors"
	"syscall"
	"testing"

	"github.com/daemonkit/daemonkit/internal/testutil"
)

func TestParseStat(t *testing.T) {
	tail := " 1 2 3 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 4242 8000 200"
	for _, tc := range []struct {
		line string
		want byte
		ok   bool
	}{
		{"123 (sleep) S" + tail, 'S', true},
		{"123 (a) Z (b)) R" + tail, 'R', true},
		{"123 (x y) Z" + tail, 'Z', true},
		{"123 ()) (() T" + tail, 'T', true},
		{"123 (sleep", 0, false},
		{"123 (sleep)", 0, false},
		{"123 (sleep)S" + tail, 0, false},
		{"123 (sleep) S 1 2", 0, false},
		{"", 0, false},
	} {
		got, err := ParseStat([]byte(tc.line))
		if (err == nil) != tc.ok || got.State != tc.want {
			t.Errorf("ParseStat(%q) = %q, %v; want %q, ok=%v", tc.line, got.State, err, tc.want, tc.ok)
		}
		if tc.ok && (got.PPID != 1 || got.PGRP != 2 || got.SID != 3 || got.StartTime != 4242) {
			t.Errorf("ParseStat(%q) = %+v: wrong fields", tc.line, got)
		}
	}
}

// procState returns the state letter of /proc/PID/stat, or 0 if it cannot be read.
func procState(pid int) byte {
	st, err := ReadStat(pid)
	if err != nil {
		return 0
	}
	return st.State
}

func TestZombieIsNotRunning(t *testing.T) {
	cmd := testutil.StartSleep(t)
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
	testutil.WaitFor(t, "zombie state", func() bool { return procState(pid) == 'Z' })

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
	ctx, cancel := context.WithTimeout(context.Background(), testutil.Deadline)
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

// TestChildless: true only for a subreaper without children; a child, even a zombie one,
// makes it false, and so does not being a subreaper.
func TestChildless(t *testing.T) {
	leave, err := EnterSubreaper()
	if err != nil {
		t.Skipf("cannot become a subreaper: %v", err)
	}
	defer leave()
	if !Childless() {
		t.Fatal("Childless() = false for a subreaper that started nothing")
	}
	cmd := testutil.StartSleep(t)
	if Childless() {
		t.Fatal("Childless() = true with a live child")
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, "zombie state", func() bool { return procState(cmd.Process.Pid) == 'Z' })
	if Childless() {
		t.Fatal("Childless() = true with a zombie child")
	}
	_ = cmd.Wait()
	if !Childless() {
		t.Fatal("Childless() = false once the child was reaped")
	}
	wasSet := subreaper.set // else the flag was set before this test, and stays
	leave()
	if wasSet && Childless() {
		t.Fatal("Childless() = true for a process that is no longer a subreaper")
	}
}

// TestZombieLeader: a Z whose process has threads left is a leader that exited while the
// others run, not a zombie; a Z alone is.
func TestZombieLeader(t *testing.T) {
	for _, tc := range []struct {
		st                   Stat
		zombie, leaderExited bool
	}{
		{Stat{State: 'Z', Threads: 1}, true, false},
		{Stat{State: 'Z', Threads: 0}, true, false},
		{Stat{State: 'Z', Threads: 4}, false, true},
		{Stat{State: 'X', Threads: 4}, true, false},
		{Stat{State: 'S', Threads: 4}, false, false},
	} {
		if tc.st.Zombie() != tc.zombie || tc.st.LeaderExited() != tc.leaderExited {
			t.Errorf("%+v: Zombie %v, LeaderExited %v; want %v, %v", tc.st, tc.st.Zombie(), tc.st.LeaderExited(), tc.zombie, tc.leaderExited)
		}
	}
}
