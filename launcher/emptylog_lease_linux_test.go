package launcher

import (
	"os"
	"path/filepath"
	"testing"
)

// TestRemoveUnusedLeavesAnOpenLog: an empty log this launch made is removed only when no
// one has it open for writing: another start given the same --log may have opened it
// since, and its daemon would write on into a file nobody can find.
func TestRemoveUnusedLeavesAnOpenLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shared.log")
	if err := os.WriteFile(path, nil, 0o640); err != nil {
		t.Fatal(err)
	}
	made, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	other, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0) // another daemon's stdout
	if err != nil {
		t.Fatal(err)
	}
	if err := removeUnused(path, made); err == nil {
		t.Fatal("removeUnused removed a log open elsewhere for writing")
	}
	if _, err := os.Lstat(path); err != nil {
		t.Fatalf("the log is gone: %v", err)
	}
	other.Close()
	if err := removeUnused(path, made); err != nil {
		t.Fatalf("removeUnused of a log open nowhere = %v, want it removed", err)
	}
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Fatalf("the log is still there: %v", err)
	}
}
