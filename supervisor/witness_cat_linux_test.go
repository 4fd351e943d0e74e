package supervisor

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWitnessCatNotFromPath: root's witness runs the system's cat, never one that PATH (an
// env file's, perhaps the --user's) names first.
func TestWitnessCatNotFromPath(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the rule is root's")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "cat"), []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+":"+os.Getenv("PATH"))
	cat, err := witnessCat()
	if err != nil {
		t.Skip(err) // a system without /usr/bin/cat or /bin/cat
	}
	if strings.HasPrefix(cat, dir) || !(strings.HasPrefix(cat, "/usr/bin/") || strings.HasPrefix(cat, "/bin/")) {
		t.Errorf("witnessCat = %s, want the system's cat, not PATH's %s", cat, dir)
	}
}
