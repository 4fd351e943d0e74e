package instance

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
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

// TestRecordLeftMidRewrite: a rewrite in place that failed after its first write (an I/O
// error) leaves the record unreadable, its first byte '#'; the next WriteRecord replaces
// it, where it refuses any other file that is not a record. Both halves a failed rewrite
// can leave are known: the new record's (compact) and the old one's (indented).
func TestRecordLeftMidRewrite(t *testing.T) {
	dir := t.TempDir()
	for i, content := range []string{`#"name":"web","pid":42,"strat`, "#\n  \"name\": \"web\",\n  \"pid\": 42,"} {
		path := filepath.Join(dir, "web.json")
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadRecord(path); err == nil {
			t.Fatalf("case %d: ReadRecord read a record half rewritten", i)
		}
		rec := Record{Name: "web", PID: 43, Program: "daemonkit", State: StateRunning}
		if err := WriteRecord(path, rec); err != nil {
			t.Fatalf("case %d: WriteRecord over a record left half rewritten = %v", i, err)
		}
		if got, err := ReadRecord(path); err != nil || got.PID != 43 {
			t.Fatalf("case %d: ReadRecord = %+v, %v; want the new record", i, got, err)
		}
	}
	other := filepath.Join(dir, "other.json")
	if err := os.WriteFile(other, []byte("# a comment\nname: web\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteRecord(other, Record{Name: "web", PID: 1, Program: "daemonkit"}); err == nil {
		t.Fatal("WriteRecord replaced a file that is no record, and no rewrite's half")
	}
}

// TestWriteRecordInUnwritableDir: in a state directory this user may no longer write
// (chmod 0555 by an operator, or an image), no new file can be made beside the record,
// but the record itself is still this user's to write: it is rewritten in place, as on a
// full disk, so that a supervisor's restarts and a stop's "stopped" still get there
// (status said "gone without stopping (crashed or killed)" of an instance that stop had
// stopped). Root writes any directory: TestUnprivileged runs it as nobody.
func TestWriteRecordInUnwritableDir(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root writes any directory (TestUnprivileged runs it as nobody)")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "web.json")
	running := Record{Name: "web", PID: 42, Program: "daemonkit", State: StateRunning, Command: []string{"sleep", "1000"}}
	if err := WriteRecord(path, running); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(dir, 0o755) })
	stopped := running
	stopped.State, stopped.LastExit = StateStopped, "stopped: killed by signal 15 (SIGTERM)"
	if err := WriteRecord(path, stopped); err != nil {
		t.Fatalf("WriteRecord in a directory of mode 0555 = %v; want it rewritten in place", err)
	}
	got, err := ReadRecord(path)
	if err != nil || got.State != StateStopped || got.LastExit != stopped.LastExit {
		t.Fatalf("ReadRecord after it = %+v, %v; want the stopped record", got, err)
	}
}

// TestInPlaceFallbackWithoutRecord: a first record (a start's) that a full disk refuses has
// no old one to be rewritten into, and its error says only why the write failed, not
// "(nor in place: open: no such file or directory)", which told an operator nothing.
func TestInPlaceFallbackWithoutRecord(t *testing.T) {
	path := filepath.Join(t.TempDir(), "web.json")
	full := fmt.Errorf("write record %q: %w", path, syscall.ENOSPC)
	err := inPlaceFallback(path, Record{Name: "web"}, full)
	if err != full {
		t.Errorf("inPlaceFallback without a record = %v; want %v as it was", err, full)
	}
}
