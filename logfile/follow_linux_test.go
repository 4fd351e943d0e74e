package logfile

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// slowPoll makes Follow poll once an hour for the rest of the test (after every Follow it
// started has returned, if called before them): what it prints in the meantime it was
// woken for by the change itself.
func slowPoll(t *testing.T) {
	oldMin, oldMax := minPoll, maxPoll
	minPoll, maxPoll = time.Hour, time.Hour
	t.Cleanup(func() { minPoll, maxPoll = oldMin, oldMax })
}

// TestFollowCopytruncate: logrotate's copytruncate copies the log and truncates it in
// place while the daemon appends to it: a line written just before is printed, however
// soon the truncation comes, because Follow wakes on the write (inotify) rather than at its
// next poll, as tail -F does; polling alone, it would never be seen once truncated away.
// Here the poll is an hour long: only a wake on each change prints anything. Each
// truncation is told; after it the file is read from its start.
func TestFollowCopytruncate(t *testing.T) {
	slowPoll(t)
	path := filepath.Join(t.TempDir(), "app.log")
	writeFile(t, path, "", 0o640)
	fd := openFD(t, path) // appends, as a daemon's log does
	notes, notify := noteTaker()
	out, idle := startFollowWith(t, path, FollowOptions{Notify: notify}) // -n 0
	// Once it has begun, what follows is appended.
	if err := idle.waitTotal(1); err != nil {
		t.Fatal(err)
	}
	w := NewWriter(fd, path)
	want := ""
	for k := 1; k <= 4; k++ {
		line := fmt.Sprintf("line %d", k)
		w.Write([]byte(line))
		want += line + "\n"
		if err := out.waitFor(line + "\n"); err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(path, 0); err != nil {
			t.Fatal(err)
		}
		if err := notes.waitFor(fmt.Sprintf("%s: file truncated %d\n", path, k)); err != nil {
			t.Fatal(err)
		}
	}
	w.Write([]byte("after"))
	if err := out.waitFor("after\n"); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != want+"after\n" {
		t.Errorf("follower printed %q, want %q", got, want+"after\n")
	}
}

// TestFollowWakesOnRename: a log renamed away and replaced, as logrotate and a reopen do,
// is followed into the new file at once, without waiting for a poll; so is a log that
// appears where none was.
func TestFollowWakesOnRename(t *testing.T) {
	slowPoll(t)
	dir := filepath.Join(t.TempDir(), "sub")
	path := filepath.Join(dir, "app.log")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	out, _ := startFollow(t, path, 5)
	writeFile(t, path, "first\n", 0o640)
	if err := out.waitFor("first\n"); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	appendTo(t, path+".1", "old\n") // the daemon writes on, to the renamed file
	if err := out.waitFor("old\n"); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "other.log"), "not this\n", 0o640)
	writeFile(t, path, "new\n", 0o640) // the daemon reopened
	if err := out.waitFor("new\n"); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "first\nold\nnew\n"; got != want {
		t.Errorf("follower printed %q, want %q", got, want)
	}
}
