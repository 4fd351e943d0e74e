package instance

import (
	"os"
	"path/filepath"
	"testing"
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
