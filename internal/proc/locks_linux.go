package proc

import (
	"bufio"
	"bytes"
	"os"
	"slices"
	"strconv"
)

// HoldsPOSIXLock reports whether pid holds a POSIX record lock (fcntl F_SETLK) on any file,
// as /proc/locks lists them; ok is false when that cannot be read. A daemon holds one on
// its pidfile for its whole life, even once the file is deleted or replaced, and lets it
// go only as it exits, after its last thread has closed its descriptors and before its
// leader shows as a zombie: a process that holds none is no working daemon.
func HoldsPOSIXLock(pid int) (holds, ok bool) {
	holders, ok := POSIXLockHolders()
	return slices.Contains(holders, pid), ok
}

// POSIXLockHolders lists the processes that hold a POSIX record lock, each once, lowest
// first, as /proc/locks lists them; ok is false when that cannot be read. Every working
// daemon is among them (see HoldsPOSIXLock).
func POSIXLockHolders() (pids []int, ok bool) {
	b, err := os.ReadFile("/proc/locks")
	if err != nil {
		return nil, false
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		// "1: POSIX  ADVISORY  WRITE 2244 00:19:1234 0 EOF"; a waiter's line has "->" after
		// the number, and is not a lock held.
		f := bytes.Fields(sc.Bytes())
		if len(f) < 5 || !bytes.Equal(f[1], []byte("POSIX")) {
			continue
		}
		if pid, err := strconv.Atoi(string(f[4])); err == nil && pid > 0 {
			pids = append(pids, pid)
		}
	}
	slices.Sort(pids)
	return slices.Compact(pids), true
}
