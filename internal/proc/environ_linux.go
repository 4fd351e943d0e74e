package proc

import (
	"bytes"
	"os"
	"strconv"
)

// WithEnv lists the live processes (not zombies, not this one) whose environment as they
// were executed, /proc/PID/environ, holds the entry kv ("KEY=VALUE") exactly. A variable
// inherited at exec marks every descendant that did not clear it, wherever it moved to:
// another process group, another session, another parent. Processes it may not read (other
// users', without privilege) are skipped.
func WithEnv(kv string) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	self := os.Getpid()
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		if HasEnv(pid, kv) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// HasEnv reports whether pid is a live process whose environment as it was executed holds
// the entry kv exactly. Checked again after Open, it proves that the handle is on that
// process and not on one that reused its pid.
func HasEnv(pid int, kv string) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	if err != nil || len(b) == 0 { // a zombie's, and a kernel thread's, is empty
		return false
	}
	want := []byte(kv)
	for entry := range bytes.SplitSeq(b, []byte{0}) {
		if bytes.Equal(entry, want) {
			return true
		}
	}
	return false
}
