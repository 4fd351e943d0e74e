package proc

import (
	"bytes"
	"os"
	"strconv"
	"syscall"
)

// Forked reports whether something this process started may still run: it has a child
// now (a zombie too), or it has reaped one (the page faults of the children it reaped,
// cminflt in /proc/self/stat, are not 0: a child that runs at all faults pages in), whose
// own children may have outlived it (a daemon that forks and exits, setsid -f). Without
// either, nothing it started can run, and a look through every process for what carries
// its mark can be skipped. It is true when it cannot tell, and while SIGCHLD is ignored:
// the kernel then reaps the children itself, and counts nothing of theirs.
func Forked() bool {
	if childSignalIgnored() {
		return true
	}
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil || len(tasks) == 0 {
		return true
	}
	for _, t := range tasks {
		b, err := os.ReadFile("/proc/self/task/" + t.Name() + "/children")
		if err != nil || len(bytes.TrimSpace(b)) > 0 {
			return true
		}
	}
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return true
	}
	// After the command's closing parenthesis: state, ppid, pgrp, session, tty_nr, tpgid,
	// flags, minflt, cminflt.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return true
	}
	fields := bytes.Fields(b[i+1:])
	if len(fields) < 9 {
		return true
	}
	reaped, err := strconv.ParseUint(string(fields[8]), 10, 64)
	return err != nil || reaped > 0
}

// childSignalIgnored reports whether this process ignores SIGCHLD (SIG_IGN: its bit in
// SigIgn of /proc/self/status), or cannot tell.
func childSignalIgnored() bool {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return true
	}
	for line := range bytes.SplitSeq(b, []byte{'\n'}) {
		if mask, ok := bytes.CutPrefix(line, []byte("SigIgn:")); ok {
			m, err := strconv.ParseUint(string(bytes.TrimSpace(mask)), 16, 64)
			return err != nil || m&(1<<(syscall.SIGCHLD-1)) != 0
		}
	}
	return true
}
