package storage

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"syscall"
	"testing"
)

// TestExplain: a full file system, a quota used up and a read-only mount are each named,
// with the directory and the fix; the errno is still found; other errors are left alone.
func TestExplain(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		errno syscall.Errno
		want  string
	}{
		{syscall.ENOSPC, "open DIR/x: no space left on device: the file system of DIR is full, of space or of inodes (df -h and df -i of it say which): free some there, or give --state-dir another directory"},
		{syscall.EDQUOT, "quota -s): free some of its files there, or give --state-dir another directory"},
		{syscall.EROFS, "open DIR/x: read-only file system: the file system of DIR is mounted read-only: remount it read-write, or give --state-dir another directory"},
	} {
		err := Explain(&fs.PathError{Op: "open", Path: dir + "/x", Err: tc.errno}, dir, "--state-dir")
		if want := strings.ReplaceAll(tc.want, "DIR", dir); !strings.HasSuffix(err.Error(), want) {
			t.Errorf("Explain(%v) = %q; want it to end %q", tc.errno, err, want)
		}
		if !errors.Is(err, tc.errno) {
			t.Errorf("Explain(%v) lost the errno", tc.errno)
		}
	}
	for _, err := range []error{nil, syscall.EACCES, fmt.Errorf("write: %w", syscall.EIO)} {
		if got := Explain(err, dir, "--state-dir"); got != err {
			t.Errorf("Explain(%v) = %v; want it unchanged", err, got)
		}
	}
}

// TestExplainMissingDir: a directory whose making failed is named by the nearest parent
// there is, where df can look.
func TestExplainMissingDir(t *testing.T) {
	dir := t.TempDir()
	err := Explain(syscall.ENOSPC, dir+"/a/b", "--log-dir")
	if want := "the file system of " + dir + " is full"; !strings.Contains(err.Error(), want) {
		t.Errorf("Explain = %q; want it to say %q", err, want)
	}
}

// TestNoModes: chmod refused by the file system itself (not implemented, not supported, or
// EPERM to the file's own owner, as vfat says it) is ErrNoModes, and Explain says what the
// file system lacks and the fix; EPERM of another's file, and other errors, are not.
func TestNoModes(t *testing.T) {
	me, other := os.Geteuid(), os.Geteuid()+1
	for _, tc := range []struct {
		err  error
		uid  int
		want bool
	}{
		{syscall.ENOSYS, other, true},
		{syscall.EOPNOTSUPP, me, true},
		{fmt.Errorf("chmod: %w", syscall.EPERM), me, true},
		{syscall.EPERM, other, false},
		{syscall.EACCES, me, false},
		{nil, me, false},
	} {
		err := NoModes(tc.err, tc.uid)
		if got := errors.Is(err, ErrNoModes); got != tc.want {
			t.Errorf("NoModes(%v, uid %d) is ErrNoModes: %v, want %v", tc.err, tc.uid, got, tc.want)
		}
		if tc.err != nil && !errors.Is(err, tc.err) {
			t.Errorf("NoModes(%v) lost the error", tc.err)
		}
	}
	dir := t.TempDir()
	err := Explain(fmt.Errorf("chmod: %w", NoModes(syscall.ENOSYS, me)), dir, "--state-dir")
	want := "chmod: function not implemented: the file system of " + dir
	if !strings.HasPrefix(err.Error(), want) || !strings.HasSuffix(err.Error(), "keeps no Unix file modes (nor, as a rule, Unix sockets, or names that differ only in case): give --state-dir a directory on another file system (such as /run)") {
		t.Errorf("Explain = %q", err)
	}
}

// TestNoSockets: a bind the file system refused (not supported) is ErrNoSockets, and
// Explain says what the file system lacks and the fix; a bind refused for the user's
// permissions, or a name in use, is not, nor an EPERM or EIO on a file system that keeps
// Unix modes (an immutable directory, a seccomp filter: a review saw both called a file
// system's limit). EPERM and EIO on FAT are TestSocketsOnFAT's, in package supervisor.
func TestNoSockets(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{syscall.EOPNOTSUPP, true},
		{syscall.ENOSYS, true},
		{fmt.Errorf("bind: %w", syscall.EPERM), false},
		{syscall.EIO, false},
		{syscall.EACCES, false},
		{syscall.EADDRINUSE, false},
		{nil, false},
	} {
		err := NoSockets(tc.err, dir)
		if got := errors.Is(err, ErrNoSockets); got != tc.want {
			t.Errorf("NoSockets(%v) is ErrNoSockets: %v, want %v", tc.err, got, tc.want)
		}
		if tc.err != nil && !errors.Is(err, tc.err) {
			t.Errorf("NoSockets(%v) lost the error", tc.err)
		}
	}
	err := Explain(fmt.Errorf("control socket: %w", NoSockets(fmt.Errorf("bind: %w", syscall.EOPNOTSUPP), dir)), dir, "--state-dir")
	want := "control socket: bind: operation not supported: the file system of " + dir
	if !strings.HasPrefix(err.Error(), want) || !strings.HasSuffix(err.Error(), "cannot hold Unix sockets: give --state-dir a directory on another file system (such as /run)") {
		t.Errorf("Explain = %q", err)
	}
}
