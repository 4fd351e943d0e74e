package proc

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
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

// TracerPID is the pid of the process that traces pid (ptrace: strace -p, gdb; of the
// thread of it that attached, in a process of several threads), from
// TracerPid in /proc/PID/status; 0 when none does or it cannot be read.
func TracerPID(pid int) int {
	b, err := os.ReadFile(StatusPath(pid))
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "TracerPid:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	return 0
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
// most others ends the process. A signal every thread of it blocks, and a signalfd(2) of
// it takes, counts as caught (sd-event's way): it stays pending for the signalfd, and ends
// nothing. Blocked alone it does not: a shell blocks every signal for a moment around each
// fork, and one sent then meets its default action. Blocked where the descriptors cannot
// be read, the error is ErrBlockedUnknown. (A program that takes it with sigwait(3) reads
// as not catching it.)
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
		switch taken, err := takenBySignalfd(pid, bit); {
		case err != nil:
			return Default, err
		case taken:
			return Caught, nil
		}
	}
	return Default, nil
}

// takenBySignalfd reports whether pid has a signalfd open whose mask holds the signal of
// mask bit (the sigmask line of its /proc fdinfo): the proof that a signal blocked in
// every thread is taken, not merely held back for a moment (a shell blocks every signal
// around each fork and wait, and one sent then meets its default action once unblocked).
// Where its descriptors may not be read (another user's program, and no CAP_SYS_PTRACE,
// as in a container), it says so with ErrBlockedUnknown, unless a readable one proves it.
func takenBySignalfd(pid int, bit uint64) (bool, error) {
	dir := "/proc/" + strconv.Itoa(pid) + "/"
	fds, err := os.ReadDir(dir + "fd")
	if errors.Is(err, fs.ErrPermission) {
		return false, ErrBlockedUnknown
	}
	if err != nil {
		return false, nil
	}
	unreadable := false // a descriptor whose kind may not be read: it may be the signalfd
	for _, fd := range fds {
		link, err := os.Readlink(dir + "fd/" + fd.Name())
		if errors.Is(err, fs.ErrPermission) {
			unreadable = true
		}
		if err != nil || link != "anon_inode:[signalfd]" {
			continue
		}
		if mask, err := SignalMask(dir+"fdinfo/"+fd.Name(), "sigmask"); err == nil && mask&bit != 0 {
			return true, nil
		} else if errors.Is(err, fs.ErrPermission) {
			unreadable = true
		}
	}
	if unreadable {
		return false, ErrBlockedUnknown
	}
	return false, nil
}

// blockedByAll reports whether every thread of pid blocks the signal of mask bit (SigBlk
// in /proc/PID/task/TID/status); false if that cannot be read.
func blockedByAll(pid int, bit uint64) bool {
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
