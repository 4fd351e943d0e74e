package testutil

import (
	"io"
	"os"
	"path/filepath"
	"testing"
)

// CopySelf copies the running test binary, as name, into a fresh temporary directory that
// every user can reach and run (go test keeps its binary in a private directory), and
// returns its path. The copy goes with the test's temporary directory.
func CopySelf(t testing.TB, name string) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Skipf("os.Executable: %v", err)
	}
	dir := ReachableTempDir(t)
	src, err := os.Open(self)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	bin := filepath.Join(dir, name)
	dst, err := os.OpenFile(bin, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	return bin
}

// ReachableTempDir is t.TempDir made reachable by every user: it and the directories
// above it, up to the temp directory, are made 0755 (the testing package makes them 0700),
// for a test that runs something as another user.
func ReachableTempDir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	for d := dir; d != filepath.Dir(d) && d != os.TempDir(); d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
