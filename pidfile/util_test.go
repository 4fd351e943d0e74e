package pidfile

import (
	"os"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

func itoa(i int) string { return strconv.Itoa(i) }

// fileState is what a test compares to show a file was left alone.
type fileState struct {
	content string
	mode    os.FileMode
	ino     uint64
	mtime   unix.Timespec
}

// statOf returns path's fileState, following a symlink.
func statOf(t *testing.T, path string) fileState {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fileState{content: readFile(t, path), mode: fi.Mode(), ino: uint64(st.Ino), mtime: st.Mtim}
}
