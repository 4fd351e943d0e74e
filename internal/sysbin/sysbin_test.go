package sysbin

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestFindNotFromPathAsRoot: root gets the system's program, never one that PATH names
// first; a name in none of the system's directories is not found.
func TestFindNotFromPathAsRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the rule is root's")
	}
	dir := t.TempDir()
	for _, name := range []string{"cat", "daemonkit-sysbin-test"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", dir+":"+os.Getenv("PATH"))
	if cat, err := Find("cat"); err == nil && strings.HasPrefix(cat, dir) {
		t.Errorf("Find(cat) = %s: PATH's, not the system's", cat)
	}
	if path, err := Find("daemonkit-sysbin-test"); !errors.Is(err, exec.ErrNotFound) {
		t.Errorf("Find of a program only PATH has = %q, %v; want exec.ErrNotFound", path, err)
	}
}
