package proc

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// SignalMask reads one signal mask line (SigIgn, SigBlk, SigPnd, SigCgt, ShdPnd) of a /proc
// status file: /proc/PID/status for a process, /proc/PID/task/TID/status for one thread.
// Bit n-1 stands for signal n.
func SignalMask(path, field string) (uint64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			mask, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			if err != nil {
				return 0, fmt.Errorf("parse %s %q in %s: %w", field, v, path, err)
			}
			return mask, nil
		}
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("read %s: %w", path, err)
	}
	return 0, fmt.Errorf("no %s line in %s", field, path)
}

// StatusPath is the status file of pid (0: this process).
func StatusPath(pid int) string {
	if pid == 0 {
		return "/proc/self/status"
	}
	return "/proc/" + strconv.Itoa(pid) + "/status"
}

// SignalAction reports what pid does with sig (SigCgt and SigIgn in /proc/PID/status): it
// catches it, ignores it, or leaves it at its default action, which for SIGHUP, SIGTERM and
// most others ends the process.
func SignalAction(pid int, sig syscall.Signal) (Action, error) {
	bit := uint64(1) << (uint(sig) - 1)
	path := StatusPath(pid)
	caught, err := SignalMask(path, "SigCgt")
	if err != nil {
		return 0, err
	}
	ignored, err := SignalMask(path, "SigIgn")
	if err != nil {
		return 0, err
	}
	switch {
	case caught&bit != 0:
		return Caught, nil
	case ignored&bit != 0:
		return Ignored, nil
	}
	return Default, nil
}
