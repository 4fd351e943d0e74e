package instance

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/daemonkit/daemonkit/internal/testutil"
)

// TestMarkStoppedRemovedMeanwhile: a record removed after MarkStopped has read it (a
// start a stop called off, of an instance that never ran, removes its daemon's record as
// a stop that waited for that daemon marks it) is not put back.
func TestMarkStoppedRemovedMeanwhile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "web.json")
	if err := WriteRecord(path, Record{Name: "web", PID: 100, State: StateStopping}); err != nil {
		t.Fatal(err)
	}
	withHookBeforeReplace(t, func() {
		if err := os.Remove(path); err != nil {
			t.Error(err)
		}
	})
	if err := MarkStopped(path, 100, "", false); err != nil {
		t.Fatalf("MarkStopped: %v", err)
	}
	mustAbsent(t, path)
	mustNoTemporary(t, path)
}

// TestMarkStoppedReplacedMeanwhile: a record replaced after MarkStopped has read it (by
// the start a stop called off, saying so) is kept as its writer wrote it, not written
// over with what MarkStopped read before.
func TestMarkStoppedReplacedMeanwhile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "web.json")
	if err := WriteRecord(path, Record{Name: "web", PID: 100, State: StateStopping}); err != nil {
		t.Fatal(err)
	}
	calledOff := Record{Name: "web", PID: 100}
	calledOff.CalledOff("stopped by SIGTERM before it was ready")
	withHookBeforeReplace(t, func() {
		if err := WriteRecord(path, calledOff); err != nil {
			t.Error(err)
		}
	})
	if err := MarkStopped(path, 100, "killed by signal 9 (SIGKILL): stop's --timeout passed", false); err != nil {
		t.Fatalf("MarkStopped: %v", err)
	}
	mustStopped(t, path, calledOff.LastExit)
	mustNoTemporary(t, path)
}

// withHookBeforeReplace sets testHookBeforeReplace to run f once, for the test.
func withHookBeforeReplace(t *testing.T, f func()) {
	t.Helper()
	testHookBeforeReplace = func() {
		testHookBeforeReplace = nil
		f()
	}
	t.Cleanup(func() { testHookBeforeReplace = nil })
}

// mustNoTemporary fails the test if a record writer left a temporary file beside path.
func mustNoTemporary(t *testing.T, path string) {
	t.Helper()
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*.tmp-*"))
	if len(left) > 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}

// TestRecordKilledStartingKeepsTheDaemonsOwn: the record a stop writes for a starting
// daemon it is about to SIGKILL (a start called off) never replaces the one the daemon
// wrote itself meanwhile, as it became ready, whether a record of an earlier run was there
// before or none was; with no such race, the stop's record is written.
func TestRecordKilledStartingKeepsTheDaemonsOwn(t *testing.T) {
	for _, c := range []struct {
		name         string
		earlier, won bool // a record of an earlier run; the daemon's own written meanwhile
	}{
		{"first run, daemon ready meanwhile", false, true},
		{"earlier run, daemon ready meanwhile", true, true},
		{"first run", false, false},
		{"earlier run", true, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := testPaths(t, "web")
			s, err := BeginStart(context.Background(), p, time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Done()
			sleep := exec.Command("sleep", "600")
			sleep.Env = append(os.Environ(), InvocationEnv+"=run-2")
			if err := sleep.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = sleep.Process.Kill(); _ = sleep.Wait() })
			pid := sleep.Process.Pid
			testutil.WaitFor(t, "the daemon's environment", func() bool { _, ok := proc.Getenv(pid, InvocationEnv); return ok })
			if c.earlier {
				if err := WriteRecord(p.Record, Record{Name: "web", Program: "web", PID: 1, State: StateStopped}); err != nil {
					t.Fatal(err)
				}
			}
			own := Record{Name: "web", Program: "web", PID: pid, State: StateRunning, Invocation: "run-2"}
			if c.won {
				withHookBeforeReplace(t, func() {
					if err := WriteRecord(p.Record, own); err != nil {
						t.Error(err)
					}
				})
			}
			recordKilledStarting(p, pid)
			got, err := ReadRecord(p.Record)
			switch {
			case err != nil:
				t.Fatalf("the record: %v", err)
			case c.won && (got.State != StateRunning || got.LastExit != ""):
				t.Fatalf("the daemon's own record was replaced: %+v", got)
			case !c.won && (got.State != StateStopping || !got.CalledOffStart() || got.PID != pid):
				t.Fatalf("the stop's record = %+v, want this daemon's start called off", got)
			}
			mustNoTemporary(t, p.Record)
		})
	}
}

// TestMarkStoppedCleanFromReplacedMeanwhile: MarkStoppedCleanFrom reports that it wrote
// only when its last attempt did: a record replaced after its first read, and found
// stopped when read again, is left as its writer wrote it, and the daemon is told that
// nothing was written (it then writes what it holds and marks it, as before).
func TestMarkStoppedCleanFromReplacedMeanwhile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "web.json")
	if err := WriteRecord(path, Record{Name: "web", PID: 100, State: StateRunning}); err != nil {
		t.Fatal(err)
	}
	other := Record{Name: "web", PID: 100}
	other.CalledOff("stopped by SIGTERM before it was ready")
	withHookBeforeReplace(t, func() {
		if err := WriteRecord(path, other); err != nil {
			t.Error(err)
		}
	})
	wrote, err := MarkStoppedCleanFrom(path, 100, Record{Name: "web", PID: 100, State: StateRunning, Restarts: 3}, "stopped", false)
	if err != nil || wrote {
		t.Errorf("MarkStoppedCleanFrom of a record replaced meanwhile by a stopped one = %v, %v; want false, nil", wrote, err)
	}
	mustStopped(t, path, other.LastExit)
	mustNoTemporary(t, path)
}
