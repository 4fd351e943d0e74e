package proc

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
)

// HoldsPOSIXLock reports whether pid holds a POSIX record lock (fcntl F_SETLK) on any file,
// as /proc/locks lists them; ok is false when that cannot be read. A daemon holds one on
// its pidfile for its whole life, even once the file is deleted or replaced, and lets it
// go only as it exits, after its last thread has closed its descriptors and before its
// leader shows as a zombie: a process that holds none is no working daemon.
func HoldsPOSIXLock(pid int) (holds, ok bool) {
	b, err := os.ReadFile("/proc/locks")
	if err != nil {
		return false, false
	}
	want := []byte(strconv.Itoa(pid))
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		// "1: POSIX  ADVISORY  WRITE 2244 00:19:1234 0 EOF"; a waiter's line has "->" after
		// the number, and is not a lock held.
		f := bytes.Fields(sc.Bytes())
		if len(f) >= 5 && bytes.Equal(f[1], []byte("POSIX")) && bytes.Equal(f[4], want) {
			return true, true
		}
	}
	return false, true
}
