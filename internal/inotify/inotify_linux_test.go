package inotify

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestCloseAsync: CloseAsync closes the instance once, however often it is called, and its
// functions wait for that close: the reader has ended, and the descriptor is gone. A
// change made before it was noticed is reported on Changes first.
func TestCloseAsync(t *testing.T) {
	dir := t.TempDir()
	in, err := New()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := in.Add(dir, unix.IN_CREATE); err != nil {
		t.Fatal(err)
	}
	in.Start(nil)
	if err := os.WriteFile(filepath.Join(dir, "f"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	select {
	case <-in.Changes():
	case <-time.After(10 * time.Second):
		t.Fatal("no change reported for a file created in a watched directory")
	}
	wait, again := in.CloseAsync(), in.CloseAsync()
	if err := wait(); err != nil {
		t.Errorf("CloseAsync's wait: %v", err)
	}
	if err := again(); err != nil {
		t.Errorf("the second CloseAsync's wait: %v", err)
	}
	select {
	case <-in.done:
	default:
		t.Error("the reader still runs after CloseAsync's wait returned")
	}
	if _, err := unix.FcntlInt(uintptr(in.fd), unix.F_GETFD, 0); err == nil {
		t.Errorf("descriptor %d still open after CloseAsync's wait returned", in.fd)
	}
}

// TestCloseAsyncUnwatchesFirst: CloseAsync removes every watch at once (those Remove or the
// kernel removed already too) and leaves the descriptor open until its function is called,
// so that the kernel releases the watches on its own meanwhile, rather than while the
// close, and a process's exit behind it, waits (see CloseAsync).
func TestCloseAsyncUnwatchesFirst(t *testing.T) {
	dir := t.TempDir()
	in, err := New()
	if err != nil {
		t.Fatal(err)
	}
	gone := filepath.Join(dir, "gone")
	if err := os.WriteFile(gone, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{dir, gone} {
		if _, err := in.Add(path, unix.IN_CREATE|unix.IN_ATTRIB); err != nil {
			t.Fatal(err)
		}
	}
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	removed, err := in.Add(sub, unix.IN_DELETE)
	if err != nil {
		t.Fatal(err)
	}
	in.Remove(removed)
	in.Start(nil)
	if err := os.Remove(gone); err != nil { // the kernel drops its watch
		t.Fatal(err)
	}
	if n := watches(t, in.fd); n != 1 {
		t.Fatalf("%d watches before CloseAsync, want 1 (the directory's)", n)
	}
	wait := in.CloseAsync()
	if n := watches(t, in.fd); n != 0 {
		t.Errorf("%d watches left once CloseAsync returned, want none", n)
	}
	if err := wait(); err != nil {
		t.Errorf("CloseAsync's function: %v", err)
	}
	if _, err := os.Stat(fmt.Sprintf("/proc/self/fdinfo/%d", in.fd)); err == nil {
		t.Errorf("descriptor %d still open after CloseAsync's function returned", in.fd)
	}
}

// watches is how many watches the inotify instance at descriptor fd holds, as
// /proc/self/fdinfo shows them; the test fails if the descriptor is not open.
func watches(t *testing.T, fd int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/self/fdinfo/%d", fd))
	if err != nil {
		t.Fatalf("descriptor %d: %v", fd, err)
	}
	return strings.Count(string(b), "inotify wd:")
}
