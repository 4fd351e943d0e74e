package instance

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A reload's mark counts once, for the daemon it names, while fresh; taking it removes it
// whatever it says, and undoing it (a signal not sent) does too.
func TestReloadMark(t *testing.T) {
	record := filepath.Join(t.TempDir(), "web.json")
	path := ReloadMarkPath(record)
	gone := func() {
		t.Helper()
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Errorf("the mark is left behind: %v", err)
		}
	}
	now := time.Now()
	if TakeReloadMark(record, 42, now) {
		t.Error("no mark taken for one")
	}
	MarkReload(record, 42)
	if !TakeReloadMark(record, 42, now) {
		t.Error("a fresh mark naming the daemon did not count")
	}
	gone()
	if TakeReloadMark(record, 42, now) {
		t.Error("a mark counted twice")
	}
	MarkReload(record, 43)
	if TakeReloadMark(record, 42, now) {
		t.Error("another daemon's mark counted")
	}
	gone()
	MarkReload(record, 42)
	old := now.Add(-ReloadMarkFresh - time.Second)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
	if TakeReloadMark(record, 42, now) {
		t.Error("a stale mark counted")
	}
	gone()
	MarkReload(record, 42)()
	gone()
	MarkReload(record, 42)
	RemoveReloadMark(record)
	gone()
}
