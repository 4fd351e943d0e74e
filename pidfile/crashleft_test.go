package pidfile

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/daemonkit/daemonkit/internal/keepfile"
)

// TestCrashLeftPidfile: a pidfile that a power loss left as NUL bytes (written, never
// synced, on a file system that allocates blocks late: its size and mode reached the disk,
// its data did not) is a stale pidfile that names no pid: Probe says so without calling it
// foreign, RemoveStale removes it, and Acquire takes it over, as it does an empty one. It
// blocks nothing. The mode tells it from a small file of NUL bytes that is no pidfile (a
// counter a careless --pidfile names), which is refused and left as it was: every pidfile
// this package writes is sticky (internal/keepfile).
func TestCrashLeftPidfile(t *testing.T) {
	if keepfile.Bit == 0 {
		t.Skip("no pidfile mark here: a file of NUL bytes is never taken for a pidfile")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "d.pid")
	write := func(mode os.FileMode) {
		_ = os.Remove(path)
		if err := os.WriteFile(path, make([]byte, 6), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
	}
	write(0o644 | keepfile.Mode)
	s := mustProbe(t, path)
	if s.State != Stale || s.FilePID != 0 || s.Foreign || s.ForeignErr != nil {
		t.Fatalf("Probe = %+v, want stale, no pid, not foreign", s)
	}
	if !errors.Is(s.ContentErr, ErrBadContent) || !strings.Contains(s.ContentErr.Error(), "only NUL bytes") {
		t.Errorf("ContentErr = %v, want one that says it is only NUL bytes", s.ContentErr)
	}
	if removed, err := RemoveStale(path); !removed || err != nil {
		t.Fatalf("RemoveStale = %v, %v; want it removed", removed, err)
	}
	write(0o644 | keepfile.Mode)
	f, err := Acquire(path)
	if err != nil {
		t.Fatalf("Acquire = %v; want it to take the file over", err)
	}
	if got, want := readFile(t, path), strconv.Itoa(os.Getpid())+"\n"; got != want {
		t.Errorf("content after Acquire = %q, want %q", got, want)
	}
	if err := f.Release(); err != nil {
		t.Fatal(err)
	}

	write(0o644) // no pidfile's mark: not one, whatever its content
	if s := mustProbe(t, path); !s.Foreign {
		t.Fatalf("Probe = %+v, want foreign", s)
	}
	if removed, err := RemoveStale(path); removed || !errors.Is(err, ErrNotPidfile) {
		t.Fatalf("RemoveStale = %v, %v; want ErrNotPidfile", removed, err)
	}
	if _, err := Acquire(path); !errors.Is(err, ErrNotPidfile) {
		t.Fatalf("Acquire = %v; want ErrNotPidfile", err)
	}
	if got := readFile(t, path); got != string(make([]byte, 6)) {
		t.Errorf("content now %q, want it left as it was", got)
	}
}
