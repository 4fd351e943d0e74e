package cli

import (
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/daemonkit/daemonkit/pidfile"
)

// logWriters lists the processes that have the file at path open (its device and inode),
// as far as /proc lets this user see: a scan of every process's descriptors, for a start
// that found the log's writer lock held (logfile.InUse), which a start of a log nobody
// writes never pays.
func logWriters(path string) []int {
	var want syscall.Stat_t
	if syscall.Stat(path, &want) != nil {
		return nil
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		if hasOpen(pid, func(st *syscall.Stat_t) bool { return st.Dev == want.Dev && st.Ino == want.Ino }) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// hasOpen reports whether pid has a descriptor open on a file that match accepts.
func hasOpen(pid int, match func(*syscall.Stat_t) bool) bool {
	dir := "/proc/" + strconv.Itoa(pid) + "/fd/"
	fds, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, fd := range fds {
		var st syscall.Stat_t
		if syscall.Stat(dir+fd.Name(), &st) == nil && match(&st) {
			return true
		}
	}
	return false
}

// heldPidfile is the pidfile that pid holds the lock of (a daemon's: it has it open, by a
// path that ends in .pid, and pidfile.Probe names pid its holder), and whether there is one.
func heldPidfile(pid int) (string, bool) {
	dir := "/proc/" + strconv.Itoa(pid) + "/fd/"
	fds, err := os.ReadDir(dir)
	if err != nil {
		return "", false
	}
	for _, fd := range fds {
		target, err := os.Readlink(dir + fd.Name())
		if err != nil || !strings.HasSuffix(target, ".pid") {
			continue
		}
		if st, err := pidfile.Probe(target); err == nil && st.State == pidfile.Running && st.PID == pid {
			return target, true
		}
	}
	return "", false
}
