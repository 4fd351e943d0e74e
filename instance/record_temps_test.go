package instance

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/daemonkit/daemonkit/internal/testutil"
)

// writeAndHang writes a record at path and hangs once its temporary file is written,
// before the rename, printing "tmp PATH": the moment a SIGKILL leaves that file behind.
func writeAndHang(path string) int {
	testHookTempWritten = func(tmp string) {
		os.Stdout.WriteString("tmp " + tmp + "\n")
		select {}
	}
	if err := WriteRecord(path, Record{Name: "web", PID: os.Getpid(), Program: "test"}); err != nil {
		os.Stdout.WriteString("err " + err.Error() + "\n")
		return 1
	}
	return 0
}

// killedMidWrite runs a writer of the record at path and SIGKILLs it between its
// temporary file's write and the rename, and returns that file, left behind.
func killedMidWrite(t *testing.T, path string) string {
	t.Helper()
	cmd := testutil.Helper(t, "midwrite", nil, "RECORD="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill() // os.Process signals through a pidfd
		_ = cmd.Wait()
	})
	line := make(chan string, 1)
	go func() {
		l, _ := bufio.NewReader(out).ReadString('\n')
		line <- strings.TrimSpace(l)
	}()
	l := testutil.Receive(t, line, "the writer's output")
	tmp, ok := strings.CutPrefix(l, "tmp ")
	if !ok {
		t.Fatalf("writer: got %q, want \"tmp PATH\"", l)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if _, err := os.Lstat(tmp); err != nil {
		t.Fatalf("the killed writer's temporary file: %v", err)
	}
	return tmp
}

// age makes path look unchanged for longer than staleTempAge.
func age(t *testing.T, path string) {
	t.Helper()
	old := time.Now().Add(-2 * staleTempAge)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
}

// A writer killed between its temporary file and the rename leaves the file; the next
// writer of the record removes it, and nothing of another record's.
func TestWriteRecordRemovesKilledWritersTemp(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "web.json")
	tmp := killedMidWrite(t, path)
	age(t, tmp)
	other := filepath.Join(dir, ".web.json.tmp-1.json.tmp-123") // instance web.json.tmp-1's
	fresh := filepath.Join(dir, ".web.json.tmp-77")             // as a live unlocked writer's
	for _, f := range []string{other, fresh} {
		if err := os.WriteFile(f, []byte("{"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	age(t, other)
	if err := WriteRecord(path, Record{Name: "web", PID: 1, Program: "test"}); err != nil {
		t.Fatal(err)
	}
	mustAbsent(t, tmp)
	for _, f := range []string{other, fresh} {
		if _, err := os.Lstat(f); err != nil {
			t.Errorf("%s: %v, want it kept", filepath.Base(f), err)
		}
	}
}

// stop's update of a record, and delete, remove a killed writer's file as well, and the
// stale ones of a name of their own that an older build or an unlocked writer left.
func TestUpdateAndDeleteRemoveKilledWritersTemp(t *testing.T) {
	path := filepath.Join(t.TempDir(), "web.json")
	if err := WriteRecord(path, Record{Name: "web", PID: 7, Program: "test", State: StateRunning}); err != nil {
		t.Fatal(err)
	}
	own := filepath.Join(filepath.Dir(path), ".web.json.tmp-42")
	leaveOwn := func() {
		if err := os.WriteFile(own, []byte("{"), 0o600); err != nil {
			t.Fatal(err)
		}
		age(t, own)
	}
	tmp := killedMidWrite(t, path)
	age(t, tmp)
	leaveOwn()
	if err := MarkStopped(path, 7, "stopped", false); err != nil {
		t.Fatal(err)
	}
	mustAbsent(t, tmp)
	mustAbsent(t, own)

	tmp = killedMidWrite(t, path)
	age(t, tmp)
	leaveOwn()
	RemoveRecordTemps(path)
	mustAbsent(t, tmp)
	mustAbsent(t, own)
}

// While another holds the record's lock, a writer that could not get it removes nothing:
// the holder may be filling its file.
func TestWriteRecordLockedKeepsTemps(t *testing.T) {
	path := filepath.Join(t.TempDir(), "web.json")
	tmp := filepath.Join(filepath.Dir(path), ".web.json.tmp-42")
	if err := os.WriteFile(tmp, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	age(t, tmp)
	unlock, held := lockRecordHeld(path)
	if !held {
		t.Fatal("could not take the record lock")
	}
	defer unlock()
	lockGivenUp.Store(recordLockPath(path), struct{}{}) // as after a wait in vain: no second one
	defer lockGivenUp.Delete(recordLockPath(path))
	if err := WriteRecord(path, Record{Name: "web", PID: 1, Program: "test"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(tmp); err != nil {
		t.Errorf("the temporary file under a held lock: %v, want it kept", err)
	}
}

// A holder of the record's lock writes through the record's one temporary file: a killed
// writer's is replaced at the next write however fresh it is, and a plain write reads no
// directory for the files of a name of their own (an older build's, an unlocked writer's),
// which a run's end removes (TestUpdateAndDeleteRemoveKilledWritersTemp).
func TestWriteRecordReplacesFreshKilledTempReadsNoDir(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "web.json")
	tmp := killedMidWrite(t, path) // fresh: not aged
	if tmp != recordTempPath(path) {
		t.Fatalf("the writer wrote through %s, want %s", tmp, recordTempPath(path))
	}
	own := filepath.Join(dir, ".web.json.tmp-42") // an older build's, killed
	if err := os.WriteFile(own, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	age(t, own)
	if err := WriteRecord(path, Record{Name: "web", PID: 1, Program: "test"}); err != nil {
		t.Fatal(err)
	}
	mustAbsent(t, tmp)
	if _, err := os.Lstat(own); err != nil {
		t.Errorf("%s after a plain write: %v, want it left for the run's end", filepath.Base(own), err)
	}
}

// What stands at the record's temporary file's name is removed, never written through: a
// symlink's target, and a file it is a hard link of, keep what they hold.
func TestWriteRecordTempNeverWritesThrough(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "web.json")
	target := filepath.Join(dir, "precious")
	if err := os.WriteFile(target, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, link := range []func(string, string) error{os.Symlink, os.Link} {
		_ = os.Remove(recordTempPath(path))
		if err := link(target, recordTempPath(path)); err != nil {
			t.Fatal(err)
		}
		if err := WriteRecord(path, Record{Name: "web", PID: 1, Program: "test"}); err != nil {
			t.Fatal(err)
		}
		if b, err := os.ReadFile(target); err != nil || string(b) != "keep" {
			t.Fatalf("the file behind the temporary name: %q, %v; want \"keep\"", b, err)
		}
		if r, err := ReadRecord(path); err != nil || r.Name != "web" {
			t.Fatalf("record: %+v, %v", r, err)
		}
	}
}
