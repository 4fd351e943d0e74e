package pidfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

func init() {
	helperModes["readlock"] = readLockHelper
}

// readLockHelper takes a read lock on the whole file at path, as anyone who may read a
// pidfile (mode 0644) may, says "ok", and holds it until EOF on stdin.
func readLockHelper(path, _ string) int {
	f, err := os.Open(path)
	if err != nil {
		fmt.Printf("err %s\n", err)
		return 1
	}
	lk := unix.Flock_t{Type: unix.F_RDLCK, Whence: io.SeekStart}
	if err := unix.FcntlFlock(f.Fd(), unix.F_SETLK, &lk); err != nil {
		fmt.Printf("err %s\n", err)
		return 1
	}
	fmt.Println("ok")
	_, _ = io.Copy(io.Discard, os.Stdin)
	return 0
}

// TestReadLockIsNoDaemon: a process that read-locks a stale pidfile (any user may: the
// file is 0644) is not taken for its daemon: Probe does not say it runs, so that status
// does not name it and stop does not signal it (it could be root's, through a setuid
// program it then ran); Acquire does not say "already running" naming it. Both say what
// holds the file.
func TestReadLockIsNoDaemon(t *testing.T) {
	path := filepath.Join(t.TempDir(), "web.pid")
	if err := os.WriteFile(path, []byte("4242\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	h := startHelper(t, "readlock", path, nil)
	if l := h.line(t); l != "ok" {
		t.Fatalf("helper: %s", l)
	}
	st, err := Probe(path)
	if !errors.Is(err, ErrReadLocked) {
		t.Errorf("Probe of a read-locked file = %+v, %v; want ErrReadLocked", st, err)
	}
	f, err := Acquire(path)
	if err == nil {
		f.Release()
	}
	var le *LockedError
	if !errors.Is(err, ErrReadLocked) || errors.As(err, &le) {
		t.Errorf("Acquire of a read-locked file: %v; want ErrReadLocked, and no daemon named", err)
	}
}
