package pidfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/daemonkit/daemonkit/internal/testutil"
	"golang.org/x/sys/unix"
)

// isZombie reports whether pid is a zombie, from /proc/PID/stat.
func isZombie(t *testing.T, pid int) bool {
	t.Helper()
	st, err := proc.ReadStat(pid)
	if err != nil {
		t.Fatal(err)
	}
	return st.State == 'Z'
}

// TestZombieHoldsNoLock: a killed holder not yet reaped stays a zombie, and its lock is
// gone while it is one. (The leader of a multithreaded process shows 'Z' in /proc/PID/stat
// as soon as its own thread exits, possibly before the other threads have released the
// process's files and locks: so the test waits for the lock to go, then checks that the
// process is still there as a zombie.)
func TestZombieHoldsNoLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.pid")
	h := startHelper(t, "acquire", path, nil)
	h.expectOK(t)
	if err := h.cmd.Process.Signal(unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
	var s Status
	testutil.WaitFor(t, "the killed holder's lock to go", func() bool {
		s = mustProbe(t, path)
		return s.State != Running
	})
	if s.State != Stale || s.FilePID != h.pid() {
		t.Fatalf("Probe of a dead holder's pidfile = %+v, want stale naming %d", s, h.pid())
	}
	// Not reaped: it stays a zombie, and its pidfile is still stale.
	testutil.WaitFor(t, "the killed holder to be a zombie", func() bool { return isZombie(t, h.pid()) })
	if s := mustProbe(t, path); s.State != Stale {
		t.Fatalf("Probe while the holder is a zombie = %+v, want stale", s)
	}
	h.kill() // reaps it
}

// TestHolderWithoutPID: an OFD lock is reported by F_GETLK with pid -1. The file is locked,
// but no pid may come out of it.
func TestHolderWithoutPID(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.pid")
	if err := os.WriteFile(path, []byte("4242\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	lk := daemonLock()
	if err := unix.FcntlFlock(uintptr(fd), unix.F_OFD_SETLK, &lk); err != nil {
		t.Skipf("no OFD locks: %v", err)
	}
	s, err := Probe(path)
	var le *LockedError
	if !errors.As(err, &le) || le.PID != 0 || s.State != Running || s.PID != 0 || s.FilePID != 4242 {
		t.Fatalf("Probe = %+v, %v; want running, pid unknown, and an error", s, err)
	}
	_, err = Acquire(path)
	if !errors.As(err, &le) || le.PID != 0 || !strings.Contains(err.Error(), "cannot be determined") {
		t.Fatalf("Acquire = %v, want locked by an unknown pid", err)
	}
	removed, err := RemoveStale(path)
	if removed || !errors.Is(err, ErrLocked) {
		t.Fatalf("RemoveStale = %v, %v", removed, err)
	}
	if got := readFile(t, path); got != "4242\n" {
		t.Fatalf("content changed: %q", got)
	}
}
