package pidfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// expectPrefix waits for the helper's next line and fails the test unless it starts with
// prefix and contains each of more.
func (h *helper) expectPrefix(t *testing.T, prefix string, more ...string) {
	t.Helper()
	l := h.line(t)
	ok := strings.HasPrefix(l, prefix)
	for _, m := range more {
		ok = ok && strings.Contains(l, m)
	}
	if !ok {
		t.Fatalf("helper %d: got %q, want %q ... %q", h.pid(), l, prefix, more)
	}
}

// expectRunningBy fails the test unless Probe reports path running by pid, naming it.
func expectRunningBy(t *testing.T, path string, pid int) {
	t.Helper()
	if s := mustProbe(t, path); s.State != Running || s.PID != pid || s.FilePID != pid {
		t.Fatalf("Probe = %+v, want running by %d", s, pid)
	}
}

// TestCheckRestoreAcrossProcesses: a daemon (a helper) notices its pidfile removed or
// replaced, and Restore repairs it: re-creating it, taking over a stale replacement, and
// refusing a replacement another process holds or one that is not a pidfile.
func TestCheckRestoreAcrossProcesses(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "d.pid")
	h := startHelper(t, "acquire", path, nil)
	h.expectOK(t)
	h.send(t, "check")
	h.expect(t, "check ok")

	// Removed by hand: Restore creates it again.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	h.send(t, "check")
	h.expectPrefix(t, "check replaced ", ErrReplaced.Error(), path, "the path now names nothing")
	h.send(t, "restore")
	h.expect(t, "restored")
	expectRunningBy(t, path, h.pid())
	h.send(t, "check")
	h.expect(t, "check ok")

	// Replaced by another stale pidfile: Restore takes that very file over.
	other := filepath.Join(dir, "other")
	if err := os.WriteFile(other, []byte("4242\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(other, path); err != nil {
		t.Fatal(err)
	}
	replacement := idAt(t, path)
	h.send(t, "check")
	h.expectPrefix(t, "check replaced ", "another file, which no process holds")
	h.send(t, "restore")
	h.expect(t, "restored")
	if idAt(t, path) != replacement {
		t.Fatal("Restore did not take the stale replacement over")
	}
	expectRunningBy(t, path, h.pid())

	// Replaced by a file another process holds: a duplicate daemon, reported by its pid.
	p2 := filepath.Join(dir, "d2.pid")
	h2 := startHelper(t, "acquire", p2, nil)
	h2.expectOK(t)
	if err := os.Rename(p2, path); err != nil {
		t.Fatal(err)
	}
	h.send(t, "check")
	h.expectPrefix(t, "check replaced ", fmt.Sprintf("another file, locked by pid %d", h2.pid()))
	h.send(t, "restore")
	h.expect(t, fmt.Sprintf("restore locked %d", h2.pid()))
	expectRunningBy(t, path, h2.pid())

	// The other process dies: its file is stale, and Restore takes it over.
	h2.kill()
	h.send(t, "restore")
	h.expect(t, "restored")
	expectRunningBy(t, path, h.pid())

	// Replaced by something that is not a pidfile: refused, and left as it was.
	copyPath, _ := copySystemFile(t, t.TempDir())
	if err := os.Rename(copyPath, path); err != nil {
		t.Fatal(err)
	}
	before := statOf(t, path)
	h.send(t, "restore")
	h.expectPrefix(t, "restore notpidfile ", "refusing to overwrite it")
	if after := statOf(t, path); after != before {
		t.Fatalf("Restore changed a file that is not a pidfile: %+v -> %+v", before, after)
	}

	// Release removes the file Restore made, not the one Acquire made.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	h.send(t, "restore")
	h.expect(t, "restored")
	h.send(t, "release")
	h.expect(t, "released")
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("after Release: Lstat = %v, want not exist", err)
	}
}

// TestRestoreKeepsRegistry: Restore moves the in-process record of the held file to the
// new file and closes the old descriptor only then; Release afterwards removes the new
// file; both methods refuse a released File.
func TestRestoreKeepsRegistry(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.pid")
	f, err := Acquire(path)
	if err != nil {
		t.Fatal(err)
	}
	releaseAtEnd(t, f)
	oldID, oldFD := f.id, f.fd
	if err := f.Restore(); err != nil || f.id != oldID || f.fd != oldFD {
		t.Fatalf("Restore of an intact file = %v; it moved (%v)", err, f.id != oldID)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := f.Check(); !errors.Is(err, ErrReplaced) ||
		err.Error() != fmt.Sprintf("check pidfile %q: %v: the path now names nothing", path, ErrReplaced) {
		t.Fatalf("Check = %v", err)
	}
	if err := f.Restore(); err != nil {
		t.Fatal(err)
	}
	reg.mu.Lock()
	_, oldHeld := reg.held[oldID]
	newHolder := reg.held[f.id]
	reg.mu.Unlock()
	if oldHeld || newHolder != f || f.id != idAt(t, path) {
		t.Fatalf("registry: old file held %v, new file held by f %v", oldHeld, newHolder == f)
	}
	if _, err := unix.FcntlInt(uintptr(oldFD), unix.F_GETFD, 0); !errors.Is(err, unix.EBADF) {
		t.Fatalf("old descriptor still open: %v", err)
	}
	if err := f.Check(); err != nil {
		t.Fatalf("Check after Restore = %v", err)
	}
	expectRunningBy(t, path, os.Getpid())
	h := startHelper(t, "acquire", path, nil)
	h.expectLockedBy(t, path, os.Getpid())

	if err := f.Release(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("after Release: Lstat = %v", err)
	}
	if err := f.Check(); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("Check after Release = %v", err)
	}
	if err := f.Restore(); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("Restore after Release = %v", err)
	}
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Restore after Release created the file: %v", err)
	}
}

// TestRestoreRefuses: what Acquire refuses, Restore refuses with the same errors.
func TestRestoreRefuses(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "d.pid")
	f, err := Acquire(path)
	if err != nil {
		t.Fatal(err)
	}
	releaseAtEnd(t, f)
	for _, c := range []struct {
		name     string
		make     func() error
		sentinel error
		what     string
	}{
		{"symlink", func() error { return os.Symlink(filepath.Join(dir, "target"), path) }, ErrNotRegular, "symbolic link"},
		{"directory", func() error { return os.Mkdir(path, 0o755) }, ErrNotRegular, "a directory"},
		{"not a pidfile", func() error { return os.WriteFile(path, []byte("abc"), 0o644) }, ErrNotPidfile, `holds "abc"`},
	} {
		if err := os.RemoveAll(path); err != nil {
			t.Fatal(err)
		}
		if err := c.make(); err != nil {
			t.Fatal(err)
		}
		if err := f.Check(); !errors.Is(err, ErrReplaced) {
			t.Errorf("%s: Check = %v", c.name, err)
		}
		err := f.Restore()
		if !errors.Is(err, c.sentinel) || !strings.Contains(err.Error(), c.what) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: Restore = %v, want %v saying %q", c.name, err, c.sentinel, c.what)
		}
	}
	if _, err := os.Lstat(filepath.Join(dir, "target")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Restore followed the symlink: %v", err)
	}
}
