package logfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestRedirect runs a helper process whose descriptors 1 and 2 are the log file, renames
// the file away as logrotate does, plants something at the path, and has the helper call
// Redirect(path, 1, 2).
func TestRedirect(t *testing.T) {
	cases := []struct {
		name  string
		mode  string
		plant func(t *testing.T, path, rotated string)
		fail  bool // Redirect must fail with ErrNotRegular, leaving 1 and 2 as they were
	}{
		// After the call, 1 and 2 write to the new file at path, without close-on-exec,
		// and no descriptor is leaked.
		{"new file", "redirect", nil, false},
		// Descriptor 1 was closed, so the new file gets number 1: without moving it first,
		// dup3(1, 1) fails with EINVAL.
		{"descriptor 1 closed", "redirect-closed", nil, false},
		// A FIFO without a reader: without O_NONBLOCK the call would block for ever.
		{"FIFO", "redirect", func(t *testing.T, path, _ string) { mkfifo(t, path) }, true},
		// A symlink to the rotated file: followed, it would put the new lines there.
		{"symlink", "redirect", func(t *testing.T, path, rotated string) {
			symlink(t, rotated, path)
		}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "app.log")
			rotated := path + ".1"
			f, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			h := startHelper(t, f, c.mode, path)
			f.Close()
			h.expect(t, "ready")
			if err := os.Rename(path, rotated); err != nil {
				t.Fatal(err)
			}
			if c.plant != nil {
				c.plant(t, path, rotated)
			}
			if _, err := h.stdin.Write([]byte("go\n")); err != nil {
				t.Fatal(err)
			}
			result := h.next(t)
			h.expect(t, "cloexec 0 0")
			h.expect(t, "leak false")
			h.expect(t, "done")
			if err := h.cmd.Wait(); err != nil {
				t.Fatalf("helper: %v", err)
			}
			if !c.fail {
				if result != "ok" {
					t.Fatalf("Redirect: %s", result)
				}
				if got := readFile(t, rotated); got != "before\nbefore\n" {
					t.Errorf("rotated file holds %q, want only the lines from before", got)
				}
				if got := readFile(t, path); got != "after 1\nafter 2\n" {
					t.Errorf("new file holds %q, want the lines from after", got)
				}
				return
			}
			if !strings.HasPrefix(result, "err notregular=true ") {
				t.Fatalf("Redirect: %s; want an ErrNotRegular", result)
			}
			if got := readFile(t, rotated); got != "before\nbefore\nafter 1\nafter 2\n" {
				t.Errorf("rotated file holds %q: descriptors 1 and 2 moved", got)
			}
		})
	}
}

// TestWriterFollowsDescriptor: a Writer made with NewWriter writes to the descriptor by
// number, so it follows Redirect; a Writer holding an *os.File would not.
func TestWriterFollowsDescriptor(t *testing.T) {
	dir := t.TempDir()
	first, second := filepath.Join(dir, "first.log"), filepath.Join(dir, "sub", "second.log")
	fd := openFD(t, first)
	w := NewWriter(fd, first)
	w.Write([]byte("one"))
	if err := Redirect(second, fd); err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("two\n"))
	if got := readFile(t, first); got != "one\n" {
		t.Errorf("first file holds %q, want %q", got, "one\n")
	}
	if got := readFile(t, second); got != "two\n" {
		t.Errorf("second file holds %q, want %q", got, "two\n")
	}
	if w.Dropped() != 0 || w.LastError() != nil {
		t.Errorf("Dropped %d, LastError %v: want none", w.Dropped(), w.LastError())
	}
	if err := Redirect(second, -1); err == nil || errors.Is(err, ErrNotRegular) {
		t.Errorf("Redirect onto -1: %v, want an invalid descriptor error", err)
	}
}

// TestNames: a path names the file open at a descriptor until it is deleted or another
// file takes its place.
func TestNames(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.log")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fd := int(f.Fd())
	if !Names(path, fd) {
		t.Fatal("Names = false for the file just opened")
	}
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if Names(path, fd) {
		t.Fatal("Names = true for another file put in its place")
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if Names(path, fd) {
		t.Fatal("Names = true for a path that names nothing")
	}
}

// TestKeep: what Keep returns still writes to the file a descriptor was before Redirect
// made it the log, and is close-on-exec, so no program started later inherits it.
func TestKeep(t *testing.T) {
	dir := t.TempDir()
	before, err := os.Create(filepath.Join(dir, "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer before.Close()
	fd := int(before.Fd())
	kept, err := Keep(fd, "stderr")
	if err != nil {
		t.Fatal(err)
	}
	defer kept.Close()
	if flags, err := unix.FcntlInt(kept.Fd(), unix.F_GETFD, 0); err != nil || flags&unix.FD_CLOEXEC == 0 {
		t.Errorf("kept descriptor's flags %#x (%v), want close-on-exec", flags, err)
	}
	log := filepath.Join(dir, "app.log")
	if err := Redirect(log, fd); err != nil {
		t.Fatal(err)
	}
	if _, err := before.WriteString("to the log\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := kept.WriteString("to the caller\n"); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, log); got != "to the log\n" {
		t.Errorf("log has %q, want what the redirected descriptor wrote alone", got)
	}
	if got := readFile(t, filepath.Join(dir, "stderr")); got != "to the caller\n" {
		t.Errorf("the file before has %q, want what the kept one wrote", got)
	}
}
