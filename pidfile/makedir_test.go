package pidfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A symbolic link to nowhere where the pidfile's directory goes is an error that names
// it, not a recursion without end that crashes the process (stack overflow): mkdir finds
// it there (EEXIST) and stat finds nothing behind it.
func TestMakeDirDanglingSymlink(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "state")
	if err := os.Symlink(filepath.Join(base, "gone", "x"), dir); err != nil {
		t.Fatal(err)
	}
	err := MakeDir(dir)
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "symbolic link") {
		t.Fatalf("MakeDir(%q): %v, want a dangling symlink's error", dir, err)
	}
	if _, err := Acquire(filepath.Join(dir, "x.pid")); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Fatalf("Acquire in %q: %v, want a dangling symlink's error", dir, err)
	}
	if _, err := os.Lstat(filepath.Join(base, "gone")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("something was made behind the symlink: %v", err)
	}
}
