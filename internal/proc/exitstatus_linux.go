package proc

import (
	"errors"
	"io/fs"
	"os"
	"strconv"
	"syscall"
)

// ZombieExitStatus is the wait status of pid, a zombie whose start time is start (0: any),
// from /proc/PID/stat's exit_code, where it can be told: ok is false if pid is no such
// zombie, or if the kernel hides its exit code from this process, to which it would read
// 0. The kernel shows it only to a reader that may trace it for reading: one with the same
// user and group ids, or with CAP_SYS_PTRACE, which root in a container lacks by default
// over a program run as another user. That is asked of the kernel itself, first, on
// /proc/PID/exe, which it guards the same way and a zombie no longer has: EACCES if this
// process may not, ENOENT if it may.
func ZombieExitStatus(pid int, start uint64) (ws syscall.WaitStatus, ok bool) {
	_, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/exe")
	mayRead := errors.Is(err, fs.ErrNotExist)
	st, err := ReadStat(pid)
	if err != nil || !st.Zombie() || start != 0 && st.StartTime != start {
		return 0, false
	}
	if st.ExitCode == 0 && !mayRead {
		return 0, false // maybe the kernel's 0 for a reader it hides it from
	}
	return syscall.WaitStatus(st.ExitCode), true
}
