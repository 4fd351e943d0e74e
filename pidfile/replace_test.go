package pidfile

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// setHook installs testHookAfterLock for one test.
func setHook(t *testing.T, hook func()) {
	t.Cleanup(func() { testHookAfterLock = nil })
	testHookAfterLock = hook
}

// idAt returns the identity of the file path names.
func idAt(t *testing.T, path string) fileID {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		t.Fatal(err)
	}
	return idOf(&st)
}

// TestAcquireRetriesWhenPathReplaced replaces the path right after Acquire has locked the
// old file: Acquire must notice, let go, and take the new file.
func TestAcquireRetriesWhenPathReplaced(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.pid")
	calls := 0
	setHook(t, func() {
		calls++
		if calls == 1 {
			if err := os.Remove(path); err != nil {
				t.Error(err)
			}
			if err := os.WriteFile(path, []byte("999\n"), 0o644); err != nil {
				t.Error(err)
			}
		}
	})
	f, err := Acquire(path)
	if err != nil {
		t.Fatal(err)
	}
	releaseAtEnd(t, f)
	if calls != 2 {
		t.Errorf("locked %d times, want 2", calls)
	}
	if f.id != idAt(t, path) {
		t.Error("Acquire holds a file the path no longer names")
	}
	// Not os.ReadFile: closing any descriptor of the file would drop our lock.
	if s := mustProbe(t, path); s.State != Running || s.FilePID != os.Getpid() || s.Mismatch() {
		t.Errorf("Probe = %+v", s)
	}
	h := startHelper(t, "acquire", path, nil)
	h.expectLockedBy(t, path, os.Getpid())
}

// TestAcquireRetriesWhenPathRemoved removes the path right after Acquire has locked it.
func TestAcquireRetriesWhenPathRemoved(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.pid")
	calls := 0
	setHook(t, func() {
		calls++
		if calls == 1 {
			if err := os.Remove(path); err != nil {
				t.Error(err)
			}
		}
	})
	f, err := Acquire(path)
	if err != nil {
		t.Fatal(err)
	}
	releaseAtEnd(t, f)
	if calls != 2 || f.id != idAt(t, path) {
		t.Fatalf("calls %d; holds the named file: %v", calls, f.id == idAt(t, path))
	}
}

// TestAcquireLosesToNewOwner replaces the path, right after Acquire has locked the old
// file, by a file another process then acquires: two owners must never result. Starting
// that process takes longer than settleTime, as an attempt stalled on a loaded machine
// may: Acquire must still look again, and not give up on a file replaced once.
func TestAcquireLosesToNewOwner(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.pid")
	setSettleTime(t, time.Nanosecond)
	newOwner := replaceAtHook(t, path)
	f, err := Acquire(path)
	other := *newOwner // nil unless the hook ran
	var le *LockedError
	if !errors.As(err, &le) || other == nil || le.PID != other.pid() {
		if f != nil {
			_ = f.Release()
		}
		t.Fatalf("Acquire = %v, want locked by the new owner", err)
	}
	if s := mustProbe(t, path); s.State != Running || s.PID != other.pid() {
		t.Fatalf("Probe = %+v, want running by %d", s, other.pid())
	}
}

// TestReleaseLeavesReplacement checks that after someone removed the holder's file and
// another process acquired the path anew, the old holder's Release leaves the new file.
func TestReleaseLeavesReplacement(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.pid")
	f, err := Acquire(path)
	if err != nil {
		t.Fatal(err)
	}
	releaseAtEnd(t, f)
	if err := os.Remove(path); err != nil { // the concurrent remover
		t.Fatal(err)
	}
	h := startHelper(t, "acquire", path, nil)
	h.expectOK(t)
	if err := f.Release(); err != nil {
		t.Fatal(err)
	}
	if got, want := readFile(t, path), strconv.Itoa(h.pid())+"\n"; got != want {
		t.Fatalf("content %q, want %q", got, want)
	}
	if s := mustProbe(t, path); s.State != Running || s.PID != h.pid() {
		t.Fatalf("Probe = %+v, want running by %d", s, h.pid())
	}
}

// TestRemoveStaleWhenPathRemoved: the file vanishes right after RemoveStale has locked it;
// RemoveStale must neither recreate it nor claim to have removed it.
func TestRemoveStaleWhenPathRemoved(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.pid")
	if err := os.WriteFile(path, []byte("12345\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	setHook(t, func() {
		if err := os.Remove(path); err != nil {
			t.Error(err)
		}
	})
	if removed, err := RemoveStale(path); removed || err != nil {
		t.Fatalf("RemoveStale = %v, %v; want false, nil", removed, err)
	}
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("file recreated: %v", err)
	}
}

// TestRemoveStaleLeavesNewOwner replaces the stale file, right after RemoveStale has locked
// it, by a file another process then acquires: RemoveStale must leave the new daemon's
// pidfile alone, and say who holds it.
func TestRemoveStaleLeavesNewOwner(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.pid")
	if err := os.WriteFile(path, []byte("12345\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	newOwner := replaceAtHook(t, path)
	removed, err := RemoveStale(path)
	other := *newOwner // nil unless the hook ran
	var le *LockedError
	if removed || !errors.As(err, &le) || other == nil || le.PID != other.pid() {
		t.Fatalf("RemoveStale = %v, %v; want false, locked by the new owner", removed, err)
	}
	if s := mustProbe(t, path); s.State != Running || s.PID != other.pid() {
		t.Fatalf("Probe = %+v, want running by %d", s, other.pid())
	}
}

// replaceAtHook has the hook, the first time it runs, replace the file at path by one that
// a helper process then acquires: the helper, once the hook has run.
func replaceAtHook(t *testing.T, path string) **helper {
	var other *helper
	setHook(t, func() {
		if other != nil {
			return
		}
		if err := os.Remove(path); err != nil {
			t.Error(err)
		}
		other = startHelper(t, "acquire", path, nil)
		other.expectOK(t)
	})
	return &other
}
