package instance

import (
	"cmp"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// HeldDirs are the directories a start uses for an instance (its pidfile's, its log's),
// each made as MakeDir makes it, and held from then until the start has ended (its daemon
// is ready, with its files in them, or it failed) with a shared lock (flock) on the
// directory itself; and those of them it made. A start that fails removes those it made
// (RemoveMade), each only if it is empty and no other start holds it: a start of another
// instance that uses the same new directory never loses it, as it holds it before it puts
// anything there.
type HeldDirs struct {
	made []string
	held []*os.File
}

// HoldDirs makes each of dirs as MakeDir does, and holds it. A directory that cannot be
// made at all is left to fail where it is opened, as MakeDir leaves it; its error is
// MakeDir's. The HeldDirs is never nil: on an error, RemoveMade removes what was made.
func HoldDirs(dirs ...string) (*HeldDirs, error) {
	h := &HeldDirs{}
	for _, d := range dirs {
		if err := h.hold(d); err != nil {
			return h, err
		}
	}
	return h, nil
}

// testHookHold, when set by a test, runs once hold has opened a directory, before it
// takes its lock.
var testHookHold func(dir string)

// hold makes dir and takes its shared lock, making it again if a failed start removed it
// meanwhile (RemoveMade), before the lock was taken.
func (h *HeldDirs) hold(dir string) error {
	for range makeDirAttempts {
		made, err := MakeDirMade(dir)
		h.made = append(h.made, made...)
		if err != nil {
			return err
		}
		f, err := os.Open(dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed since: made again
		}
		if err != nil {
			return nil // not held: what uses it says what is wrong
		}
		if testHookHold != nil {
			testHookHold(dir)
		}
		if !lockShared(f) {
			f.Close()
			return nil // not held: it goes on without
		}
		if sameDirAt(f, dir) {
			h.held = append(h.held, f)
			return nil
		}
		f.Close() // removed before it was held: made again
	}
	return nil
}

// Release lets the directories go: the start has ended, and its daemon's files are in
// them (or it failed, and RemoveMade follows).
func (h *HeldDirs) Release() {
	for _, f := range h.held {
		f.Close()
	}
	h.held = nil
}

// RemoveMade lets the directories go, and removes those the start made, the deepest
// first, each only if it is empty, and no other start holds it (its lock, taken at once
// or not at all), and its path still names the directory locked: what a failed start
// made and left empty.
func (h *HeldDirs) RemoveMade() {
	h.Release()
	made := slices.Compact(slices.SortedFunc(slices.Values(h.made), func(a, b string) int {
		return cmp.Or(-cmp.Compare(strings.Count(a, "/"), strings.Count(b, "/")), strings.Compare(a, b))
	}))
	for _, d := range made {
		removeUnused(d)
	}
	h.made = nil
}

// removeUnused removes the directory dir if it is empty and no start holds it.
func removeUnused(dir string) {
	f, err := os.OpenFile(dir, os.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW, 0)
	if err != nil {
		return
	}
	defer f.Close()
	if unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) != nil || !sameDirAt(f, dir) {
		return // another start holds it, or it is not the one made
	}
	_ = unix.Rmdir(dir) // ENOTEMPTY: something is in it, and it stays
}

// sameDirAt reports whether f is still the directory at path.
func sameDirAt(f *os.File, path string) bool {
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	at, err := os.Stat(filepath.Clean(path))
	return err == nil && os.SameFile(fi, at)
}

// holdWait bounds how long hold waits for a directory's shared lock: RemoveMade holds
// the exclusive one for an rmdir alone, but something else may hold it for longer.
const holdWait = 2 * time.Second

// lockShared takes f's shared lock (flock), waiting at most holdWait; false if it could
// not: the start goes on without it.
func lockShared(f *os.File) bool {
	pause := time.Millisecond
	for deadline := time.Now().Add(holdWait); ; {
		err := unix.Flock(int(f.Fd()), unix.LOCK_SH|unix.LOCK_NB)
		switch {
		case err == nil:
			return true
		case err == unix.EINTR:
			continue
		case err != unix.EWOULDBLOCK || time.Now().After(deadline):
			return false
		}
		time.Sleep(pause) // a lock polled, with a deadline: a blocking flock has none
		pause = min(2*pause, 50*time.Millisecond)
	}
}
