package supervisor

import (
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestRemoveChildPIDFileLeavesAFIFO: a FIFO put in the child pidfile's place (by the
// user who owns its directory) is left there, and the supervisor does not block on it:
// its read used to hold the stop until SIGKILL. The file it wrote, unchanged, is removed.
func TestRemoveChildPIDFileLeavesAFIFO(t *testing.T) {
	path := filepath.Join(t.TempDir(), "child.pid")
	r := &run{s: New(Config{ChildPIDFile: path}, io.Discard)}
	r.writeChildPIDFile(4242)
	if r.childPID != 4242 {
		t.Fatalf("the child pidfile was not written")
	}
	r.removeChildPIDFile()
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Fatalf("the child pidfile it wrote: %v; want it removed", err)
	}
	r.childPID = 4242
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		r.removeChildPIDFile()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		if f, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close() // lets the blocked read go
		}
		<-done
		t.Fatal("removeChildPIDFile blocked on a FIFO in the child pidfile's place")
	}
	if fi, err := os.Lstat(path); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the FIFO: %v, %v; want it left", fi, err)
	}
}
