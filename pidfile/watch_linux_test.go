package pidfile

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// watched holds a pidfile in a fresh directory and watches it until the test ends.
func watched(t *testing.T) (*File, *Watcher) {
	t.Helper()
	f, err := Acquire(filepath.Join(t.TempDir(), "d", "x.pid"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Release() })
	w, err := f.Watch()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := w.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return f, w
}

// expectChange fails the test unless w reports a change (within waitLimit), after which
// Check says what is expected, and Restore and Rearm put things right.
func expectChange(t *testing.T, f *File, w *Watcher, what string) {
	t.Helper()
	select {
	case <-w.Changes():
	case <-time.After(waitLimit):
		t.Fatalf("no change reported after %s", what)
	}
	if err := f.Check(); err == nil {
		t.Fatalf("after %s, Check = nil", what)
	}
	if err := f.Restore(); err != nil {
		t.Fatalf("after %s, Restore = %v", what, err)
	}
	if err := w.Rearm(); err != nil {
		t.Fatalf("after %s, Rearm = %v", what, err)
	}
}

// TestWatchSeesThePathChange: deleting the pidfile, renaming a file over it and renaming
// it away are each reported, each to a fresh watch, so that no event of another step can
// stand in for the one expected.
func TestWatchSeesThePathChange(t *testing.T) {
	for _, tc := range []struct {
		what string
		do   func(path string) error
	}{
		{"the pidfile deleted", os.Remove},
		{"a file renamed over the pidfile", func(path string) error {
			other := filepath.Join(filepath.Dir(path), "other")
			if err := os.WriteFile(other, []byte("4242\n"), 0o644); err != nil {
				return err
			}
			return os.Rename(other, path)
		}},
		{"the pidfile renamed away", func(path string) error {
			return os.Rename(path, filepath.Join(filepath.Dir(path), "moved"))
		}},
	} {
		t.Run(tc.what, func(t *testing.T) {
			f, w := watched(t)
			if err := tc.do(f.Path()); err != nil {
				t.Fatal(err)
			}
			expectChange(t, f, w, tc.what)
		})
	}
}

// TestWatchFollowsANewDirectory: when the pidfile's directory is moved away, the change is
// reported, Restore makes the directory anew, and after Rearm a change in the new
// directory is reported too. (A move is one event, so nothing of it is left to stand in
// for the second change.)
func TestWatchFollowsANewDirectory(t *testing.T) {
	f, w := watched(t)
	dir := filepath.Dir(f.Path())
	if err := os.Rename(dir, dir+".gone"); err != nil {
		t.Fatal(err)
	}
	expectChange(t, f, w, "its directory moved away")
	if err := os.Remove(f.Path()); err != nil {
		t.Fatal(err)
	}
	expectChange(t, f, w, "the pidfile deleted from the new directory")
}

// TestWatchIgnoresOtherFiles: files coming and going beside the pidfile (other instances'
// pidfiles and records in a shared state directory) queue no event, so they wake no daemon;
// the pidfile deleted does. Read without the reader, from the inotify queue itself, which
// the kernel fills as each call returns.
func TestWatchIgnoresOtherFiles(t *testing.T) {
	f, err := Acquire(filepath.Join(t.TempDir(), "x.pid"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Release() })
	w, err := newWatcher(f, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	queued := func() int {
		n, err := w.in.Queued()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	dir := filepath.Dir(f.Path())
	for _, name := range []string{"y.pid", "x.json", ".x.json.tmp-1", "x.pid.new"} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(p, p+".2"); err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(p + ".2"); err != nil {
			t.Fatal(err)
		}
	}
	if n := queued(); n != 0 {
		t.Fatalf("%d bytes of events queued for other files", n)
	}
	if err := os.Remove(f.Path()); err != nil {
		t.Fatal(err)
	}
	if n := queued(); n == 0 {
		t.Fatal("no event queued for the pidfile deleted")
	}
}

// TestWatchNil: a nil *Watcher (no watch) reports nothing and does nothing.
func TestWatchNil(t *testing.T) {
	var w *Watcher
	if w.Changes() != nil || w.Rearm() != nil || w.Close() != nil {
		t.Error("a nil Watcher did something")
	}
}

// TestWatchSeesAFileBeside: a file kept beside the pidfile (a daemon's record) deleted, or
// replaced by a rename over it as a record's write replaces it, is reported, each to a
// fresh watch, so that no event of another step can stand in for the one expected; so is
// one that was not there when the watch began, once WatchBeside has watched it.
func TestWatchSeesAFileBeside(t *testing.T) {
	replace := func(path string) error {
		next := path + ".tmp"
		if err := os.WriteFile(next, []byte("{}"), 0o644); err != nil {
			return err
		}
		return os.Rename(next, path)
	}
	for _, tc := range []struct {
		what   string
		before bool // the file is there when the watch begins
		do     func(path string) error
	}{
		{"the file beside deleted", true, os.Remove},
		{"a file renamed over the file beside", true, replace},
		{"the file beside, made after the watch began, deleted", false, os.Remove},
	} {
		t.Run(tc.what, func(t *testing.T) {
			f, err := Acquire(filepath.Join(t.TempDir(), "x.pid"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = f.Release() })
			record := filepath.Join(filepath.Dir(f.Path()), "x.json")
			if tc.before {
				if err := replace(record); err != nil {
					t.Fatal(err)
				}
			}
			w, err := f.Watch(record)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = w.Close() })
			if !tc.before {
				if err := replace(record); err != nil {
					t.Fatal(err)
				}
				if err := w.WatchBeside(); err != nil {
					t.Fatal(err)
				}
			}
			if err := tc.do(record); err != nil {
				t.Fatal(err)
			}
			select {
			case <-w.Changes():
			case <-time.After(waitLimit):
				t.Fatalf("no change reported after %s", tc.what)
			}
		})
	}
}
