package instance

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// TestHeldDirsRemoveMade: a failed start removes the directories it made, the deepest
// first, and only those: not one that was there, one with something in it, nor one that
// another start holds, which must not lose it.
func TestHeldDirsRemoveMade(t *testing.T) {
	base := t.TempDir()
	there := filepath.Join(base, "there")
	if err := os.Mkdir(there, 0o755); err != nil {
		t.Fatal(err)
	}
	isDir := func(d string) bool { fi, err := os.Stat(d); return err == nil && fi.IsDir() }

	h, err := HoldDirs(filepath.Join(base, "a", "b", "c"), there)
	if err != nil {
		t.Fatal(err)
	}
	h.RemoveMade()
	if isDir(filepath.Join(base, "a")) {
		t.Errorf("%s made and left behind", filepath.Join(base, "a"))
	}
	if !isDir(there) {
		t.Errorf("%s, there before, was removed", there)
	}

	// one with a file in it stays
	full := filepath.Join(base, "full")
	h, err = HoldDirs(full)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(full, "x.pid"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	h.RemoveMade()
	if !isDir(full) {
		t.Errorf("%s, with a file in it, was removed", full)
	}

	// one that another start holds stays, and is removed once it lets it go, if empty
	shared := filepath.Join(base, "shared")
	mine, err := HoldDirs(shared)
	if err != nil {
		t.Fatal(err)
	}
	other, err := HoldDirs(shared)
	if err != nil {
		t.Fatal(err)
	}
	mine.RemoveMade()
	if !isDir(shared) {
		t.Fatalf("%s, held by another start, was removed", shared)
	}
	other.Release()
	mine2, err := HoldDirs(shared) // made by none of these: another start's, there before
	if err != nil {
		t.Fatal(err)
	}
	mine2.RemoveMade()
	if !isDir(shared) {
		t.Errorf("%s, which this start did not make, was removed", shared)
	}
}

// TestHoldDirsAfterRemoval: a start that finds a directory a failed start is removing
// (holding it exclusively for its rmdir) makes it again and holds that one: it never goes
// on with a directory that is gone.
func TestHoldDirsAfterRemoval(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	opened := make(chan struct{}, 1)
	testHookHold = func(string) {
		select {
		case opened <- struct{}{}:
		default:
		}
	}
	t.Cleanup(func() { testHookHold = nil })
	got := make(chan *HeldDirs, 1)
	go func() {
		h, err := HoldDirs(dir)
		if err != nil {
			t.Error(err)
		}
		got <- h
	}()
	<-opened // it has the directory open, and waits for its lock
	if err := unix.Rmdir(dir); err != nil {
		t.Fatal(err)
	}
	f.Close()
	h := <-got
	defer h.Release()
	if len(h.held) != 1 || !sameDirAt(h.held[0], dir) {
		t.Fatalf("HoldDirs holds %v; want the directory at %s, made again", h.held, dir)
	}
}
