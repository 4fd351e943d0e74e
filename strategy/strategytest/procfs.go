//go:build linux

package fakedaemon

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Stat is what the tests read from /proc/PID/stat.
type Stat struct {
	State byte
	PPID  int
	PGRP  int
	SID   int
	TTY   int // tty_nr: the controlling terminal's device number, 0 if none
}

// ReadStat reads /proc/PID/stat ("self" for this process).
func ReadStat(pid string) (Stat, error) {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return Stat{}, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return Stat{}, fmt.Errorf("malformed /proc/%s/stat: %q", pid, b)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 5 || len(f[0]) != 1 {
		return Stat{}, fmt.Errorf("malformed /proc/%s/stat: %q", pid, b)
	}
	var st Stat
	st.State = f[0][0]
	for k, dst := range []*int{&st.PPID, &st.PGRP, &st.SID, &st.TTY} {
		if *dst, err = strconv.Atoi(f[k+1]); err != nil {
			return Stat{}, fmt.Errorf("malformed /proc/%s/stat: %w", pid, err)
		}
	}
	return st, nil
}

// SigIgn reads the mask of ignored signals from /proc/PID/status (bit n-1 is signal n).
func SigIgn(pid string) (uint64, error) {
	b, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "SigIgn:"); ok {
			return strconv.ParseUint(strings.TrimSpace(v), 16, 64)
		}
	}
	return 0, fmt.Errorf("no SigIgn in /proc/%s/status", pid)
}

// FDs maps each open descriptor of pid to what it names (the /proc/PID/fd link).
func FDs(pid string) (map[int]string, error) {
	dir := "/proc/" + pid + "/fd"
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	fds := make(map[int]string, len(entries))
	for _, e := range entries {
		fd, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		target, err := os.Readlink(dir + "/" + e.Name())
		if err != nil {
			continue // closed meanwhile
		}
		fds[fd] = target
	}
	return fds, nil
}

// ReadEnviron reads pid's environment.
func ReadEnviron(pid string) ([]string, error) { return nulList("/proc/" + pid + "/environ") }

// Cmdline reads pid's argv.
func Cmdline(pid string) ([]string, error) { return nulList("/proc/" + pid + "/cmdline") }

func nulList(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00"), nil
}

// Ancestors returns the pids from this process up to the top of its pid namespace.
func Ancestors() (map[int]bool, error) {
	seen := map[int]bool{}
	pid := os.Getpid()
	for pid > 0 && !seen[pid] {
		seen[pid] = true
		st, err := ReadStat(strconv.Itoa(pid))
		if err != nil {
			return nil, err
		}
		pid = st.PPID
	}
	return seen, nil
}
