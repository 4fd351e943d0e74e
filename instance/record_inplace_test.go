package instance

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRewriteInPlace: the fallback for a full disk writes the new record into the old
// one's file, which ReadRecord then reads whole, with nothing of the old left; a record
// that does not fit in the old one's blocks is refused, the old one left as it was.
func TestRewriteInPlace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "web.json")
	old := Record{Name: "web", PID: 42, Program: "daemonkit", State: StateRunning, Command: []string{"sleep", "1000"}}
	if err := WriteRecord(path, old); err != nil {
		t.Fatal(err)
	}
	stopped := old
	stopped.State, stopped.LastExit = StateStopped, "stopped"
	b, err := inPlaceJSON(stopped)
	if err != nil {
		t.Fatal(err)
	}
	if err := rewriteInPlace(path, b, recordMode(stopped)); err != nil {
		t.Fatalf("rewriteInPlace = %v", err)
	}
	got, err := ReadRecord(path)
	if err != nil || got.State != StateStopped || got.LastExit != "stopped" || got.PID != 42 || len(got.Command) != 2 {
		t.Fatalf("ReadRecord after the rewrite = %+v, %v; want the stopped record", got, err)
	}
	if err := checkOverwrite(path); err != nil {
		t.Errorf("a record rewritten in place is not one WriteRecord replaces: %v", err)
	}

	before, _ := os.ReadFile(path)
	big := stopped
	big.Command = []string{strings.Repeat("x", 64<<10)}
	b, _ = inPlaceJSON(big)
	if err := rewriteInPlace(path, b, recordMode(big)); err == nil || !strings.Contains(err.Error(), "does not fit") {
		t.Fatalf("rewriteInPlace of a record larger than the old one's blocks = %v, want it refused", err)
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Errorf("a refused rewrite changed the record")
	}
}
