package proc

import (
	"errors"
	"syscall"

	"golang.org/x/sys/unix"
)

// AwaitEnd waits until pid, a child of this process, has ended, and leaves it unreaped
// (waitid with WNOWAIT): until its parent reaps it, its pid, and the number of the process
// group it leads, name it or its group and no other process's, so that kill(-pid) then
// reaches only what it left in its group. It returns an error only if pid is not a child
// of this process, or has been reaped already (ECHILD), or where no such wait exists (not
// Linux): the caller then reaps it to learn of its end.
func AwaitEnd(pid int) error {
	var info unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}
