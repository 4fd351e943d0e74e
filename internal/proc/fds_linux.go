package proc

import (
	"bytes"
	"os"
	"strconv"
)

// OpenPaths lists what pid's descriptors name (the links in /proc/PID/fd: a path, or
// "socket:[N]", "pipe:[N]"), as far as this user may read them; nil if none can be. It
// reads the names alone and never stats what they name, so a file open on a hung mount
// cannot hold it up.
func OpenPaths(pid int) []string {
	dir := "/proc/" + strconv.Itoa(pid) + "/fd/"
	fds, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var paths []string
	for _, fd := range fds {
		if target, err := os.Readlink(dir + fd.Name()); err == nil {
			paths = append(paths, target)
		}
	}
	return paths
}

// Args is pid's arguments (/proc/PID/cmdline), nil if they cannot be read (gone, a
// zombie, a kernel thread).
func Args(pid int) []string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil || len(b) == 0 {
		return nil
	}
	var words []string
	for w := range bytes.SplitSeq(bytes.TrimSuffix(b, []byte{0}), []byte{0}) {
		words = append(words, string(w))
	}
	return words
}
