//go:build linux

package strategytest

import (
	"os"
	"strconv"
	"strings"

	"github.com/daemonkit/daemonkit/internal/proc"
)

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
		st, err := proc.ReadStat(pid)
		if err != nil {
			return nil, err
		}
		pid = st.PPID
	}
	return seen, nil
}
