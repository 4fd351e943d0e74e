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

// A mark another user wrote (in a pidfile directory such as /tmp, which all may write)
// counts for nothing: it would make the terminal's hangup of a root's start look like a
// reload, and the daemon run on. Nor does one with another link.
func TestReloadMarkOfAnotherUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, to give the mark to another user")
	}
	dir := t.TempDir()
	record := filepath.Join(dir, "sp.json")
	path := ReloadMarkPath(record)
	now := time.Now()
	MarkReload(record, 42)
	if err := os.Chown(path, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if TakeReloadMark(record, 42, now) {
		t.Error("a mark of another user's counted")
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("the mark is left behind: %v", err)
	}
	MarkReload(record, 42)
	if err := os.Link(path, filepath.Join(dir, "other")); err != nil {
		t.Fatal(err)
	}
	if TakeReloadMark(record, 42, now) {
		t.Error("a mark with another link counted")
	}
}

// A mark a reload killed before it signalled left counts for a few seconds at most: a real
// hangup some seconds later stops the daemon.
func TestReloadMarkLeftByAKilledReload(t *testing.T) {
	record := filepath.Join(t.TempDir(), "web.json")
	MarkReload(record, 42)
	left := time.Now().Add(-5 * time.Second)
	if err := os.Chtimes(ReloadMarkPath(record), left, left); err != nil {
		t.Fatal(err)
	}
	if TakeReloadMark(record, 42, time.Now()) {
		t.Error("a mark written 5s before counted")
	}
}

// A mark another user put there first is replaced, not written through: the reload's own
// mark is the daemon's to take.
func TestMarkReloadReplacesAnothersMark(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, to give the mark to another user")
	}
	record := filepath.Join(t.TempDir(), "sp.json")
	path := ReloadMarkPath(record)
	if err := os.WriteFile(path, []byte("42\n"), 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(path, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	MarkReload(record, 42)
	if !TakeReloadMark(record, 42, time.Now()) {
		t.Error("the reload's mark, written over another's, did not count")
	}
}
