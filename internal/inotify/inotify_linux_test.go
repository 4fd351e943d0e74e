package inotify

import (
	"os"
	"path/filepath"
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
