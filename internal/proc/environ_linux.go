package proc

import (
	"bytes"
	"errors"
	"os"
	"strconv"
	"syscall"
	"time"
)

// WithEnv lists the live processes (not zombies, not this one) whose environment as they
// were executed, /proc/PID/environ, holds the entry kv ("KEY=VALUE") exactly. A variable
// inherited at exec marks every descendant that did not clear it, wherever it moved to:
// another process group, another session, another parent. Processes it may not read (other
// users', without privilege) are skipped.
func WithEnv(kv string) []int {
	return others(func(pid int) bool { return HasEnv(pid, kv) })
}

// others lists the processes but this one for which match is true, in /proc's order;
// none where /proc cannot be read.
func others(match func(pid int) bool) []int {
	self := os.Getpid()
	var pids []int
	for _, pid := range allPIDs() {
		if pid == self {
			continue
		}
		if match(pid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// execWait bounds how long environ waits for a process to finish an exec.
const execWait = 250 * time.Millisecond

// emptyWait is how long an environment must stay laid out empty for environ to take it
// for one: laying one out takes the kernel microseconds.
const emptyWait = 5 * time.Millisecond

// HasEnv reports whether pid is a live process whose environment as it was executed holds
// the entry kv exactly. Checked again after Open, it proves that the handle is on that
// process and not on one that reused its pid. A process caught in the middle of an exec
// is waited for (see environ).
func HasEnv(pid int, kv string) bool {
	want := []byte(kv)
	for entry := range bytes.SplitSeq(environ(pid), []byte{0}) {
		if bytes.Equal(entry, want) {
			return true
		}
	}
	return false
}

// Getenv returns the value of the variable key in the environment pid was executed with,
// and whether it has one, as HasEnv reads it.
func Getenv(pid int, key string) (string, bool) {
	prefix := []byte(key + "=")
	for entry := range bytes.SplitSeq(environ(pid), []byte{0}) {
		if v, ok := bytes.CutPrefix(entry, prefix); ok {
			return string(v), true
		}
	}
	return "", false
}

// environ reads /proc/PID/environ: empty for a process that is gone, that this process may
// not read, a zombie, or a kernel thread. Of a process whose leader thread has exited
// while others run, it reads a live thread's.
//
// A process in the middle of an exec has no environment to read for a moment: the kernel
// has replaced its memory and not yet laid out the new arguments and environment (a tenth
// of the reads, measured, of a process that does nothing but exec itself again). environ
// waits for that to end, up to execWait, so that a process is never taken for one without
// a variable because it was caught mid-exec, even by several execs in a row. execWait is
// counted to when a read began, not to when it returned: one read can outlast it (opening
// the file waits for the exec's lock, and a loaded machine may then not run the reader for
// longer), and a read that found nothing then is followed by another. A zombie's
// and a kernel thread's are answered at once, and an environment laid out empty (env -i:
// its start and end are one address) once it has stayed so for emptyWait: the kernel lays
// an environment out with its start and end at one address too, and moves the end only
// once it has laid out every entry.
func environ(pid int) []byte {
	began := time.Now() // when the current attempt began
	deadline := began.Add(execWait)
	var emptyAt uint64       // the start of the empty layout seen, 0 if none
	var emptySince time.Time // since when it has been seen
	for ; ; began = time.Now() {
		b, err := readEnviron("/proc/" + strconv.Itoa(pid) + "/environ")
		switch {
		case len(b) > 0:
			return b
		case err != nil && !errors.Is(err, syscall.ESRCH): // ESRCH: its leader has exited
			return nil
		}
		st, err := ReadStat(pid)
		switch {
		case err != nil || st.Zombie() || st.KernelThread():
			return nil
		case st.LeaderExited(): // its leader has no memory left to read; its threads do
			return threadEnviron(pid)
		case st.EnvEnd != 0 && st.EnvEnd == st.EnvStart && st.EnvStart == emptyAt && time.Since(emptySince) >= emptyWait:
			return nil // laid out empty (env -i)
		case st.EnvEnd != 0 && st.EnvEnd == st.EnvStart && st.EnvStart != emptyAt:
			emptyAt, emptySince = st.EnvStart, time.Now() // empty, or being laid out
		case began.After(deadline):
			return nil
		case st.EnvEnd != 0 && st.EnvEnd != st.EnvStart: // laid out since the read, or a next exec began: read again
			continue
		}
		time.Sleep(time.Millisecond) // mid-exec: nothing to wait on but the clock
	}
}

// readEnviron is environ's read of /proc/PID/environ: a variable for tests, which stall
// one read past execWait, as a loaded machine may.
var readEnviron = os.ReadFile

// threadEnviron reads the environment of pid through one of its threads that has not
// exited, /proc/PID/task/TID/environ; empty if none has one to read.
func threadEnviron(pid int) []byte {
	dir := "/proc/" + strconv.Itoa(pid) + "/task/"
	tids, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	for _, t := range tids {
		if b, err := os.ReadFile(dir + t.Name() + "/environ"); err == nil && len(b) > 0 {
			return b
		}
	}
	return nil
}
