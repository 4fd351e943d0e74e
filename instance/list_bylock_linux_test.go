package instance

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/daemonkit/daemonkit/internal/proc"
)

// TestListFindsDaemonByLock: once a state directory is deleted, and its daemon cannot
// make it again (a file put at its path, or no right to), list shows that daemon running,
// found as status finds it, by the lock it holds on its deleted pidfile; it listed no
// instance, or failed, while status said it ran and stop stopped it. A directory that
// holds an instance is not looked at so by list (TestListLooksForLocksOnlyWhenEmpty).
func TestListFindsDaemonByLock(t *testing.T) {
	for _, tc := range []struct {
		what  string
		after func(dir string) error // what is at the directory's path once it is deleted
	}{
		{"gone", func(string) error { return nil }},
		{"a file there", func(dir string) error { return os.WriteFile(dir, nil, 0o644) }},
		{"made again, empty", func(dir string) error { return os.Mkdir(dir, 0o755) }},
	} {
		t.Run(tc.what, func(t *testing.T) {
			p := testPaths(t, "a")
			dir := filepath.Dir(p.PIDFile)
			d := startDaemon(t, graceful, p.PIDFile, false)
			if err := os.RemoveAll(dir); err != nil {
				t.Fatal(err)
			}
			if err := tc.after(dir); err != nil {
				t.Fatal(err)
			}
			if names, err := Names(dir); err != nil || !slices.Equal(names, []string{"a"}) {
				t.Errorf("Names = %q, %v; want [a]", names, err)
			}
			entries, err := List(Layout{StateDir: dir, LogDir: t.TempDir()})
			if err != nil || len(entries) != 1 {
				t.Fatalf("List = %+v, %v: want one entry", entries, err)
			}
			e := entries[0]
			if e.Paths.Name != "a" || e.State() != StateRunning || e.Status.Record == nil || !e.Status.Record.ByLock || e.Status.Record.PID != d.pid {
				t.Errorf("List: %s %q, record %+v, err %v; want a running, pid %d, found by its lock", e.Paths.Name, e.State(), e.Status.Record, e.Err, d.pid)
			}
		})
	}
}

// TestListLooksForLocksOnlyWhenEmpty: a state directory that holds an instance is listed
// without a look at /proc/locks (an RCU grace period at each first read: up to tens of
// ms), which a daemon's own files make needless: one whose files are deleted puts them
// back at its next look, unless it cannot make the directory again.
func TestListLooksForLocksOnlyWhenEmpty(t *testing.T) {
	p := testPaths(t, "b")
	if err := WriteRecord(p.Record, Record{Name: "b", PID: 4000, State: StateStopped, StoppedAt: time.Now(), PIDFile: p.PIDFile}); err != nil {
		t.Fatal(err)
	}
	looks := 0
	deletedLockHolders = func(dir string) map[string]int {
		looks++
		return nil
	}
	defer func() { deletedLockHolders = proc.DeletedLockHolders }()
	if entries, err := List(Layout{StateDir: filepath.Dir(p.PIDFile), LogDir: t.TempDir()}); err != nil || len(entries) != 1 {
		t.Fatalf("List = %+v, %v: want one entry", entries, err)
	}
	if looks != 0 {
		t.Errorf("locks looked at %d times, want none", looks)
	}
}

// TestNoLockLookWhereDirectoryHoldsFiles: where the state directory, made again, holds
// files but no instance (a log's claim, a note), list still finds the daemon by the lock
// it holds on its deleted pidfile (it listed none, and stop --all stopped none, once the
// directory held anything), and so does the proof of a name without record nor pidfile:
// a start that skipped it there ran a second daemon of the instance, before the first
// could put its pidfile back (a second later, or never where it may not write there).
func TestNoLockLookWhereDirectoryHoldsFiles(t *testing.T) {
	p := testPaths(t, "a")
	dir := filepath.Dir(p.PIDFile)
	d := startDaemon(t, graceful, p.PIDFile, false)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".log-claims-indexed"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if names, err := Names(dir); err != nil || !slices.Equal(names, []string{"a"}) {
		t.Errorf("Names = %q, %v; want [a]", names, err)
	}
	h, rec := proven(p)
	if h == nil {
		t.Fatalf("proven: nothing, want pid %d, found by the lock it holds on its deleted pidfile", d.pid)
	}
	h.Close()
	if !rec.ByLock || rec.PID != d.pid {
		t.Errorf("proven: record %+v, want pid %d found by its lock", rec, d.pid)
	}
}
