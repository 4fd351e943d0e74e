package instance

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestStartLock: while a start holds the instance's start lock and no daemon holds the
// pidfile, Inspect says starting with the start's pid, a second start and a stop wait for
// it, and give up with ErrStartUnderWay after their bound; once it is done, the lock's file
// is gone and neither waits.
func TestStartLock(t *testing.T) {
	dir := t.TempDir()
	p := Paths{Name: "web", PIDFile: filepath.Join(dir, "web.pid"), Record: filepath.Join(dir, "web.json")}
	if got, want := p.StartLock(), filepath.Join(dir, "web.starting"); got != want {
		t.Fatalf("StartLock() = %s, want %s", got, want)
	}
	ctx := context.Background()
	s, err := BeginStart(ctx, p, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Done()
	st, err := Inspect(p)
	if err != nil || !st.Starting || st.StartPID != p.StartUnderWay() || st.StartPID <= 0 || st.Running() {
		t.Fatalf("Inspect during a start = %+v, %v; want starting, with the start's pid, not running", st, err)
	}
	if _, err := BeginStart(ctx, p, 30*time.Millisecond); !errors.Is(err, ErrStartUnderWay) {
		t.Fatalf("a second start while one is under way: %v, want ErrStartUnderWay", err)
	}
	if err := AwaitDaemon(ctx, p, 30*time.Millisecond); !errors.Is(err, ErrStartUnderWay) {
		t.Fatalf("awaiting a daemon that never comes: %v, want ErrStartUnderWay", err)
	}

	// a start that waited for one that ends without a daemon launches nothing itself
	testHookOtherStart = s.Done // the other start ends once this one waits for it
	defer func() { testHookOtherStart = nil }()
	if _, err := BeginStart(ctx, p, 10*time.Second); !errors.Is(err, ErrStartUnderWay) || !strings.Contains(err.Error(), "ended without a daemon running") {
		t.Fatalf("a start after one that ended without a daemon: %v, want ErrStartUnderWay, ended without a daemon", err)
	}
	s.Done() // a second call does nothing
	if err := AwaitDaemon(ctx, p, time.Nanosecond); err != nil {
		t.Fatalf("awaiting with no start under way: %v", err)
	}
	if st, err := Inspect(p); err != nil || st.Starting {
		t.Fatalf("Inspect after the start = %+v, %v; want not starting", st, err)
	}
	if res, err := Stop(ctx, p, StopOptions{Timeout: time.Second}); err != nil || res.WasRunning {
		t.Fatalf("Stop after the start = %+v, %v; want nothing running", res, err)
	}
}

// TestBeginStartAfterKilledStart: a second start that waited for a start killed before its
// daemon was ready does not say "already running" of that daemon, which starts on alone
// and may fail: it waits for its outcome, here a daemon that ends without being ready.
func TestBeginStartAfterKilledStart(t *testing.T) {
	dir := t.TempDir()
	p := Paths{Name: "web", PIDFile: filepath.Join(dir, "web.pid"), Record: filepath.Join(dir, "web.json")}
	ctx := context.Background()
	first, err := BeginStart(ctx, p, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Done()
	t.Setenv(InvocationEnv, "a-start-launched-it") // a daemon a start launched, not ready: no record
	d := startDaemon(t, graceful, p.PIDFile, false)
	testHookOtherStart = first.Done  // the first start ends (killed) while this one waits for it
	testHookAwaitStarting = func() { // then its daemon ends without being ready
		if err := d.handle.Signal(syscall.SIGTERM); err != nil {
			t.Error(err)
		}
		d.reap(t)
	}
	defer func() { testHookOtherStart, testHookAwaitStarting = nil, nil }()
	_, err = BeginStart(ctx, p, 10*time.Second)
	if !errors.Is(err, ErrStartUnderWay) || !strings.Contains(err.Error(), "ended without being ready") {
		t.Fatalf("a start after a killed one whose daemon then failed: %v, want ErrStartUnderWay, ended without being ready", err)
	}
}
