package proc

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
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
// most others ends the process. A signal every thread of it blocks counts as caught: it
// stays pending, for the process to take with signalfd(2) or sigwait(3) (sd-event's way),
// and ends nothing, if it stays blocked for 20ms (a shell blocks every signal for a moment
// around each fork). (A thread waiting in sigwait has it unblocked meanwhile, and reads as
// not catching it.)
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
	case blockedByAll(pid, bit):
		return Caught, nil
	}
	return Default, nil
}

// Blocking counts as taking a signal only once it lasts: a shell blocks every signal
// around each fork and wait (dash, about a sixth of the time in a loop that runs a
// command every 2ms), and a signal sent then meets its default action when it is
// unblocked. A program that takes it with signalfd blocks it for good.
const (
	blockedSamples   = 20
	blockedSampleGap = time.Millisecond
)

// blockedByAll reports whether every thread of pid blocks the signal of mask bit (SigBlk
// in /proc/PID/task/TID/status) at each of blockedSamples reads blockedSampleGap apart;
// false as soon as one does not, or that cannot be read.
func blockedByAll(pid int, bit uint64) bool {
	for i := range blockedSamples {
		if i > 0 {
			time.Sleep(blockedSampleGap) // a condition sampled over a window, not a wait
		}
		if !blockedByAllNow(pid, bit) {
			return false
		}
	}
	return true
}

func blockedByAllNow(pid int, bit uint64) bool {
	dir := "/proc/" + strconv.Itoa(pid) + "/task/"
	tasks, err := os.ReadDir(dir)
	if err != nil || len(tasks) == 0 {
		return false
	}
	for _, t := range tasks {
		if blocked, err := SignalMask(dir+t.Name()+"/status", "SigBlk"); err != nil || blocked&bit == 0 {
			return false
		}
	}
	return true
}
