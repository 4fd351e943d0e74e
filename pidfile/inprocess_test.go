package pidfile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// TestProbeInsideHolderKeepsLock checks that nothing this package does in the holding
// process drops the holder's lock: Probe, RemoveStale and a second Acquire all leave it.
func TestProbeInsideHolderKeepsLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.pid")
	f, err := Acquire(path)
	if err != nil {
		t.Fatal(err)
	}
	releaseAtEnd(t, f)
	me := os.Getpid()

	s := mustProbe(t, path)
	if s.State != Running || s.PID != me || s.FilePID != me || s.ContentErr != nil || s.Mismatch() {
		t.Fatalf("Probe in holder = %+v, want running by %d", s, me)
	}
	removed, err := RemoveStale(path)
	var le *LockedError
	if removed || !errors.As(err, &le) || le.PID != me {
		t.Fatalf("RemoveStale in holder = %v, %v; want false, locked by %d", removed, err, me)
	}
	_, err = Acquire(path)
	if !errors.As(err, &le) || le.PID != me || le.Path != path {
		t.Fatalf("second Acquire in holder: %v, want locked by %d", err, me)
	}

	h := startHelper(t, "acquire", path, nil)
	h.expectLockedBy(t, path, me)

	if err := f.Release(); err != nil {
		t.Fatal(err)
	}
	if s := mustProbe(t, path); s.State != Absent {
		t.Fatalf("after Release, Probe = %+v", s)
	}
	h2 := startHelper(t, "acquire", path, nil)
	h2.expectOK(t)
}

// TestParkedDescriptorKeepsLock checks the safety net for a descriptor of a held file
// opened by a race: it is parked, not closed, and Release closes it.
func TestParkedDescriptorKeepsLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.pid")
	f, err := Acquire(path)
	if err != nil {
		t.Fatal(err)
	}
	releaseAtEnd(t, f)
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	reg.mu.Lock()
	closeFD(fd, f.id)
	parked := len(f.parked)
	reg.mu.Unlock()
	if parked != 1 {
		t.Fatalf("parked %d descriptors, want 1", parked)
	}
	h := startHelper(t, "acquire", path, nil)
	h.expectLockedBy(t, path, os.Getpid())
	if err := f.Release(); err != nil {
		t.Fatal(err)
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); !errors.Is(err, unix.EBADF) {
		t.Fatalf("parked descriptor still open after Release: %v", err)
	}
}

// TestProbeHeldByOtherProcessMismatch checks that the holder's pid wins over the content.
func TestProbeHeldByOtherProcessMismatch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.pid")
	h := startHelper(t, "acquire", path, nil)
	h.expectOK(t)
	if err := os.WriteFile(path, []byte("4242\n"), 0o644); err != nil { // a tampered file
		t.Fatal(err)
	}
	s := mustProbe(t, path)
	if s.State != Running || s.PID != h.pid() || s.FilePID != 4242 || !s.Mismatch() {
		t.Fatalf("Probe = %+v, want running by %d with mismatch", s, h.pid())
	}
	if err := os.WriteFile(path, []byte("junk"), 0o644); err != nil {
		t.Fatal(err)
	}
	s = mustProbe(t, path)
	if s.State != Running || s.PID != h.pid() || s.FilePID != 0 || !errors.Is(s.ContentErr, ErrBadContent) || !s.Mismatch() {
		t.Fatalf("Probe = %+v, want running by %d, bad content", s, h.pid())
	}
	removed, err := RemoveStale(path)
	var le *LockedError
	if removed || !errors.As(err, &le) || le.PID != h.pid() {
		t.Fatalf("RemoveStale = %v, %v; want locked by %d", removed, err, h.pid())
	}
	h.send(t, "probe") // Probe inside the holder, answered from its own descriptor
	if l, want := h.line(t), "probe running "+itoa(h.pid())+" 0"; l != want {
		t.Fatalf("helper probe: %q, want %q", l, want)
	}
	h3 := startHelper(t, "acquire", path, nil)
	h3.expectLockedBy(t, path, h.pid())
}

func TestRemoveStale(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "d.pid")
	if removed, err := RemoveStale(path); removed || err != nil {
		t.Fatalf("RemoveStale(absent) = %v, %v", removed, err)
	}
	if removed, err := RemoveStale(filepath.Join(dir, "no", "such", "d.pid")); removed || err != nil {
		t.Fatalf("RemoveStale(absent dir) = %v, %v", removed, err)
	}
	if _, err := os.Lstat(filepath.Join(dir, "no")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("RemoveStale created a directory: %v", err)
	}
	if err := os.WriteFile(path, []byte("12345\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if removed, err := RemoveStale(path); !removed || err != nil {
		t.Fatalf("RemoveStale(stale) = %v, %v", removed, err)
	}
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("stale file left: %v", err)
	}
}

func TestProbeChangesNothing(t *testing.T) {
	dir := t.TempDir()
	if s := mustProbe(t, filepath.Join(dir, "no", "d.pid")); s.State != Absent || s.PID != 0 || s.FilePID != 0 || s.ContentErr != nil {
		t.Fatalf("Probe(absent) = %+v", s)
	}
	if _, err := os.Lstat(filepath.Join(dir, "no")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Probe created a directory: %v", err)
	}
	path := filepath.Join(dir, "d.pid")
	if err := os.WriteFile(path, []byte("77\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	before := statOf(t, path)
	s := mustProbe(t, path)
	if s.State != Stale || s.FilePID != 77 || s.PID != 0 || s.Mismatch() {
		t.Fatalf("Probe = %+v", s)
	}
	if after := statOf(t, path); after != before {
		t.Fatalf("Probe changed the file: %+v -> %+v", before, after)
	}
}
