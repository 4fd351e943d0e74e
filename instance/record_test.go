package instance

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/daemonkit/daemonkit/internal/keepfile"
)

func TestRecordRoundTrip(t *testing.T) {
	old := syscall.Umask(0o077) // the mode must not depend on the umask
	defer syscall.Umask(old)
	dir := t.TempDir()
	path := filepath.Join(dir, "web.json")
	want := Record{
		Name:      "web",
		PID:       4242,
		Strategy:  "reexec",
		StartedAt: time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC),
		Listen:    "127.0.0.1:8080",
		Log:       "/var/log/daemonkit/web.log",
		PIDFile:   "/run/daemonkit/web.pid",
		Program:   "daemonkit",
		Request:   json.RawMessage(`{"name":"web"}`),
	}
	if err := WriteRecord(path, want); err != nil {
		t.Fatal(err)
	}
	got, err := ReadRecord(path)
	if err != nil {
		t.Fatal(err)
	}
	var request bytes.Buffer // the record is indented, and the request in it too
	if err := json.Compact(&request, got.Request); err != nil || request.String() != string(want.Request) {
		t.Fatalf("request = %s (%v), want %s", got.Request, err, want.Request)
	}
	got.Request = want.Request
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ReadRecord = %+v, want %+v", got, want)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode() != 0o600 {
		t.Fatalf("record mode %v, want 0600: it holds --env's values", fi.Mode())
	}

	// Overwriting replaces it whole and leaves no temporary file behind: only the record,
	// and its lock (hidden, empty: see lockRecord).
	want.PID = 4343
	if err := WriteRecord(path, want); err != nil {
		t.Fatal(err)
	}
	if got, err := ReadRecord(path); err != nil || got.PID != 4343 {
		t.Fatalf("ReadRecord after rewrite = %+v, %v", got, err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{filepath.Base(recordLockPath(path)), filepath.Base(path)}; !slices.Equal(names, want) {
		t.Fatalf("directory holds %q, want only %q", names, want)
	}
}

func TestReadRecordAbsent(t *testing.T) {
	_, err := ReadRecord(filepath.Join(t.TempDir(), "none.json"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("ReadRecord(absent) = %v, want fs.ErrNotExist", err)
	}
	if err := WriteRecord(filepath.Join(t.TempDir(), "missing", "x.json"), Record{}); err == nil {
		t.Fatal("WriteRecord into a missing directory: no error")
	}
}

func TestRemoveRecordPIDGuard(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "web.json")
	if err := WriteRecord(path, Record{Name: "web", PID: 100}); err != nil {
		t.Fatal(err)
	}
	for _, pid := range []int{101, 0, -1} {
		if err := RemoveRecord(path, pid); err != nil {
			t.Fatalf("RemoveRecord(other pid %d): %v", pid, err)
		}
		if _, err := os.Stat(path); err != nil {
			t.Fatalf("record of pid 100 removed for pid %d: %v", pid, err)
		}
	}
	if err := RemoveRecord(path, 100); err != nil {
		t.Fatal(err)
	}
	mustAbsent(t, path)
	if err := RemoveRecord(path, 100); err != nil {
		t.Fatalf("RemoveRecord(absent) = %v, want nil", err)
	}

	// A file that is not a record names no pid: left alone.
	if err := os.WriteFile(path, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := RemoveRecord(path, 100); err != nil {
		t.Fatalf("RemoveRecord(garbage) = %v, want nil", err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("garbage record removed: %v", err)
	}
	if _, err := ReadRecord(path); err == nil {
		t.Fatal("ReadRecord(garbage): no error")
	}
}

// TestMarkStoppedPIDGuard: MarkStopped marks a record stopped only if it names the pid
// that is gone: the record of a daemon started since, another pid, says running still.
// The one it names is marked stopped, with how it ended, and keeps its invocation.
func TestMarkStoppedPIDGuard(t *testing.T) {
	path := filepath.Join(t.TempDir(), "web.json")
	if err := WriteRecord(path, Record{Name: "web", PID: 100, State: StateRunning, Invocation: "inv"}); err != nil {
		t.Fatal(err)
	}
	for _, pid := range []int{101, 0} {
		if err := MarkStopped(path, pid, gone, true); err != nil {
			t.Fatalf("MarkStopped(other pid %d): %v", pid, err)
		}
		if r, err := ReadRecord(path); err != nil || r.State != StateRunning || r.Failed || r.LastExit != "" {
			t.Fatalf("record of pid 100 after MarkStopped(%d): %+v, %v; want it untouched", pid, r, err)
		}
	}
	if err := MarkStopped(path, 100, gone, true); err != nil {
		t.Fatal(err)
	}
	if r, err := ReadRecord(path); err != nil || r.State != StateStopped || !r.Failed || r.LastExit != gone || r.Invocation != "inv" {
		t.Fatalf("record after MarkStopped(100): %+v, %v; want stopped, failed, %q, its invocation kept", r, err, gone)
	}
}

// TestRecordKeptWhileItMatters: a record of a running daemon, or of a run whose leftovers
// are yet to be found, is sticky on Linux, so that tmpfiles cleaners keep it; a stopped
// run's record is not, and ages out of a temporary directory like any other file.
func TestRecordKeptWhileItMatters(t *testing.T) {
	for _, c := range []struct {
		name string
		rec  Record
		want os.FileMode
	}{
		{"running", Record{Name: "web", State: StateRunning}, 0o600 | keepfile.Mode},
		{"stopped, leftovers unknown", Record{Name: "web", State: StateStopped, Invocation: "abc"}, 0o600 | keepfile.Mode},
		{"stopped cleanly", Record{Name: "web", State: StateStopped}, 0o600},
		{"never ready", Record{Name: "web"}, 0o600},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "web.json")
			if err := WriteRecord(path, c.rec); err != nil {
				t.Fatal(err)
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode() != c.want {
				t.Fatalf("record mode %v, want %v", fi.Mode(), c.want)
			}
		})
	}
}

// TestEmptyRecordSaysNothing: an empty file at a record's path reads as the zero Record and
// is written over; a file that is not a record is refused, with the way to remove it.
func TestEmptyRecordSaysNothing(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "e.json")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if r, err := ReadRecord(empty); err != nil || !reflect.DeepEqual(r, Record{}) {
		t.Fatalf("ReadRecord(empty) = %+v, %v; want the zero Record", r, err)
	}
	if err := WriteRecord(empty, Record{Name: "e", PID: 42}); err != nil {
		t.Fatalf("WriteRecord over an empty file: %v", err)
	}
	if r, err := ReadRecord(empty); err != nil || r.PID != 42 {
		t.Fatalf("ReadRecord after writing over it = %+v, %v", r, err)
	}

	garbage := filepath.Join(dir, "g.json")
	if err := os.WriteFile(garbage, []byte("key = value\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := WriteRecord(garbage, Record{Name: "g", PID: 42})
	if !errors.Is(err, ErrBadRecord) || !strings.Contains(err.Error(), "remove it (rm "+garbage+")") {
		t.Fatalf("WriteRecord over a file that is not a record = %v; want ErrBadRecord and how to remove it", err)
	}
	if b, _ := os.ReadFile(garbage); string(b) != "key = value\n" {
		t.Fatalf("the file that is not a record was changed: %q", b)
	}
}

// TestCheckReplaceableUnreadable: a record path that cannot be read (its directory is a
// file) says why, and not that something is refused replacement: nothing is there.
func TestCheckReplaceableUnreadable(t *testing.T) {
	file := filepath.Join(t.TempDir(), "afile")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(file, "x.json")
	err := CheckReplaceable(path)
	if err == nil || !errors.Is(err, syscall.ENOTDIR) || strings.Contains(err.Error(), "refusing") {
		t.Fatalf("CheckReplaceable(%s) = %v; want a not-a-directory error that refuses nothing", path, err)
	}
	want := `write record "` + path + `": read record: open ` + path + `: not a directory`
	if err.Error() != want {
		t.Errorf("CheckReplaceable(%s) = %q; want %q", path, err, want)
	}
}

// TestProgramEnded: a supervisor's record says no copy runs when it waits to restart
// (RestartAt), and, from a build that kept no RestartAt (no Build either), when it names a
// command and a last exit but no copy; a record that names its Build and plans no restart
// (its supervisor gave up, and drains) is not taken for one restarting.
func TestProgramEnded(t *testing.T) {
	older := Record{State: StateRunning, Command: []string{"sleep", "1"}, LastExit: "exited with status 1"}
	backOff := older
	backOff.Build, backOff.RestartAt = "v1", time.Now()
	gaveUp := older
	gaveUp.Build = "v1"
	running := older
	running.ChildPID = 42
	restartStarting := older // an older supervisor's restart, not ready yet
	restartStarting.Copies = []Copy{{PID: 43, Generation: 2, State: "starting"}}
	upgrading := older // an upgrade: the old copy serves while the new one starts
	upgrading.Copies = []Copy{{PID: 42, Generation: 1, State: "ready"}, {PID: 43, Generation: 2, State: "starting"}}
	for _, c := range []struct {
		name string
		rec  Record
		want bool
	}{{"back-off", backOff, true}, {"older build between restarts", older, true}, {"gave up", gaveUp, false}, {"program runs", running, false}, {"older build's restart starting", restartStarting, true}, {"upgrade", upgrading, false}} {
		if got := c.rec.ProgramEnded(); got != c.want {
			t.Errorf("%s: ProgramEnded() = %v, want %v", c.name, got, c.want)
		}
	}
}
