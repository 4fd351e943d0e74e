package pidfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// copySystemFile copies a system file that is not a pidfile into dir as d.pid: /etc/passwd,
// or fixed text shaped like it if that cannot be read. The real file is never touched.
func copySystemFile(t *testing.T, dir string) (path string, content []byte) {
	t.Helper()
	content, err := os.ReadFile("/etc/passwd")
	if err != nil || len(content) == 0 || looksLikePidfile(content) {
		content = []byte("root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1::/:/usr/sbin/nologin\n")
	}
	path = filepath.Join(dir, "d.pid")
	if err := os.WriteFile(path, content, 0o644); err != nil {
		t.Fatal(err)
	}
	return path, content
}

// TestRefuseSystemFileCopy: Acquire and RemoveStale refuse a copy of /etc/passwd before
// changing anything, saying what they found; Probe still reads it.
func TestRefuseSystemFileCopy(t *testing.T) {
	path, content := copySystemFile(t, t.TempDir())
	before := statOf(t, path)
	quote := fmt.Sprintf("%q", content[:min(len(content), 28)])
	if len(content) > 28 {
		quote += "..."
	}
	want := func(verb string) string {
		return fmt.Sprintf("pidfile %q holds %s, which is not a pidfile: refusing to %s it "+
			"(choose another --pidfile, or remove the file yourself if it is yours)", path, quote, verb)
	}

	f, err := Acquire(path)
	if f != nil {
		_ = f.Release()
	}
	if !errors.Is(err, ErrNotPidfile) || err.Error() != want("overwrite") {
		t.Errorf("Acquire = %v\nwant %s", err, want("overwrite"))
	}
	removed, err := RemoveStale(path)
	if removed || !errors.Is(err, ErrNotPidfile) || err.Error() != want("remove") {
		t.Errorf("RemoveStale = %v, %v\nwant %s", removed, err, want("remove"))
	}
	s := mustProbe(t, path)
	if s.State != Stale || s.PID != 0 || s.FilePID != 0 || !errors.Is(s.ContentErr, ErrBadContent) {
		t.Errorf("Probe = %+v, want stale with a content error", s)
	}
	if after := statOf(t, path); after != before {
		t.Errorf("the copy changed: %+v -> %+v", before, after)
	}
}

// TestPidfileShape: what looks like a pidfile is removed when stale and taken over by
// Acquire, even where ParsePID refuses it as a pid; anything else is refused by both, and
// left exactly as it was.
func TestPidfileShape(t *testing.T) {
	digits := func(n int) string { return strings.Repeat("7", n) }
	nul := func(n int) string { return strings.Repeat("\x00", n) } // what a power loss leaves
	shaped := []string{"", "0\n", "1\n", "123\n", "99999999\n", "0123", "5", digits(32), digits(31) + "\n"}
	refused := []string{"-1\n", "abc", "12 34", strings.Repeat("1", 4096), digits(33), digits(32) + "\n",
		"\n", "12\n\n", "12\r\n", " 12\n", "12\x00", "\n12", nul(33), nul(4) + "\n", "\x00a", "1\x00",
		nul(1), nul(6), nul(32)} // NUL bytes in a file without a pidfile's mark: TestCrashLeftPidfile
	dir := t.TempDir()
	for i, content := range append(shaped, refused...) {
		isShaped := i < len(shaped)
		name := fmt.Sprintf("%q", content[:min(len(content), 12)])
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, fmt.Sprintf("%d.pid", i))
			write := func() {
				if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			write()
			before := statOf(t, path)
			removed, err := RemoveStale(path)
			if isShaped {
				if !removed || err != nil {
					t.Fatalf("RemoveStale = %v, %v; want removed", removed, err)
				}
				write()
				f, err := Acquire(path)
				if err != nil {
					t.Fatalf("Acquire = %v, want it to take the stale file over", err)
				}
				if err := f.Release(); err != nil {
					t.Fatal(err)
				}
				return
			}
			if removed || !errors.Is(err, ErrNotPidfile) || !strings.Contains(err.Error(), "refusing to remove it") {
				t.Fatalf("RemoveStale = %v, %v; want ErrNotPidfile", removed, err)
			}
			f, err := Acquire(path)
			if f != nil {
				_ = f.Release()
			}
			if !errors.Is(err, ErrNotPidfile) || !strings.Contains(err.Error(), "refusing to overwrite it") {
				t.Fatalf("Acquire = %v; want ErrNotPidfile", err)
			}
			if after := statOf(t, path); after != before {
				t.Fatalf("the file changed: %+v -> %+v", before, after)
			}
		})
	}
}
