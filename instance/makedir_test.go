package instance

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestMakeDirMakesChain: the missing directories are made, 0755 whatever the umask.
func TestMakeDirMakesChain(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	if err := MakeDir(dir); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{filepath.Dir(dir), dir} {
		if fi, err := os.Lstat(d); err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o755 {
			t.Errorf("%s: %v, %v; want a directory 0755", d, fi, err)
		}
	}
}

// TestMakeDirRaceSymlink: another user who makes a missing directory of the chain, under
// a sticky directory, a symlink to a directory of root's, after the first check and before
// the mkdir, has nothing made through it: the check of what is there once the mkdir is
// done refuses the symlink before anything is made in it.
func TestMakeDirRaceSymlink(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give the symlink to another user")
	}
	shared, victim := stickyAndVictim(t)
	raced := filepath.Join(shared, "new")
	testHookMakeDir = func(d string) {
		if d != raced {
			return
		}
		plantForeignSymlink(t, victim, raced)
	}
	t.Cleanup(func() { testHookMakeDir = nil })
	err := MakeDir(filepath.Join(raced, "sub"))
	if !errors.Is(err, ErrForeignSymlink) {
		t.Errorf("MakeDir through a symlink planted meanwhile: %v, want ErrForeignSymlink", err)
	}
	if entries, _ := os.ReadDir(victim); len(entries) != 0 {
		t.Errorf("made %v in the directory the symlink leads to", entries)
	}
}

// TestMakeDirRaceSymlinkRemoved: another user's symlink planted at a missing directory
// before the mkdir, and removed again between the look at it and its check (which then
// checks a missing path, and passes), never leaves MakeDir returning with the path
// unchecked: it starts again, makes the directory itself, and the instance's files go
// there, not where a symlink put back later would lead.
func TestMakeDirRaceSymlinkRemoved(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give the symlink to another user")
	}
	shared, victim := stickyAndVictim(t)
	raced := filepath.Join(shared, "new")
	planted, removed := false, false
	testHookMakeDir = func(d string) {
		if d != raced || planted {
			return
		}
		planted = true
		plantForeignSymlink(t, victim, raced)
	}
	testHookMakeDirLook = func(d string) {
		if d != raced || removed {
			return
		}
		removed = true
		if err := os.Remove(raced); err != nil {
			t.Error(err)
		}
	}
	t.Cleanup(func() { testHookMakeDir, testHookMakeDirLook = nil, nil })
	if err := MakeDir(raced); err != nil {
		t.Fatalf("MakeDir: %v", err)
	}
	if !planted || !removed {
		t.Fatal("the race was not played: the test proves nothing")
	}
	if fi, err := os.Lstat(raced); err != nil || !fi.IsDir() {
		t.Errorf("%s: %v, %v; want the directory MakeDir made", raced, fi, err)
	}
	if entries, _ := os.ReadDir(victim); len(entries) != 0 {
		t.Errorf("made %v in the directory the symlink led to", entries)
	}
}

// stickyAndVictim makes, for a race test as root, a directory all may write, sticky as
// /tmp is, and a directory of root's that another user's symlink may point to.
func stickyAndVictim(t *testing.T) (shared, victim string) {
	t.Helper()
	base := t.TempDir()
	shared, victim = filepath.Join(base, "shared"), filepath.Join(base, "victim")
	for _, d := range []string{shared, victim} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(shared, os.ModeSticky|0o777); err != nil {
		t.Fatal(err)
	}
	return shared, victim
}

// plantForeignSymlink makes at path a symlink to target that user nobody owns, as another
// user would plant it.
func plantForeignSymlink(t *testing.T, target, path string) {
	t.Helper()
	if err := os.Symlink(target, path); err != nil {
		t.Error(err)
	}
	if err := os.Lchown(path, 65534, 65534); err != nil {
		t.Error(err)
	}
}
