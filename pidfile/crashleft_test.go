package pidfile

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestCrashLeftPidfile: a pidfile that a power loss left as NUL bytes (written, never
// synced, on a file system that allocates blocks late) is a stale pidfile that names no
// pid: Probe says so without calling it foreign, RemoveStale removes it, and Acquire
// takes it over, as it does an empty one. It blocks nothing.
func TestCrashLeftPidfile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "d.pid")
	write := func() {
		if err := os.WriteFile(path, make([]byte, 6), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write()
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
	write()
	f, err := Acquire(path)
	if err != nil {
		t.Fatalf("Acquire = %v; want it to take the file over", err)
	}
	defer f.Release()
	if got, want := readFile(t, path), strconv.Itoa(os.Getpid())+"\n"; got != want {
		t.Errorf("content after Acquire = %q, want %q", got, want)
	}
}
