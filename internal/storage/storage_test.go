package storage

import (
	"errors"
	"fmt"
	"io/fs"
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
