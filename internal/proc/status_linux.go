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

// LeavesDefault reports whether pid leaves sig at its default action: it neither catches
// nor ignores it (SigCgt and SigIgn in /proc/PID/status). For SIGHUP, SIGTERM and most
// others the default action ends the process.
func LeavesDefault(pid int, sig syscall.Signal) (bool, error) {
	bit := uint64(1) << (uint(sig) - 1)
	path := StatusPath(pid)
	caught, err := SignalMask(path, "SigCgt")
	if err != nil {
		return false, err
	}
	ignored, err := SignalMask(path, "SigIgn")
	if err != nil {
		return false, err
	}
	return (caught|ignored)&bit == 0, nil
}
