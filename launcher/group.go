package launcher

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// ErrCallersGroup is matched (errors.Is) by the error Launch returns when the daemon a
// strategy started runs in the process group of the process that launched it: a strategy
// that sets neither Setpgid nor Setsid (see strategy.Strategy). Launch kills that daemon,
// since stop's SIGKILL after its --timeout goes to the daemon's process group, which would
// then be the group of the shell job or script that ran start.
var ErrCallersGroup = errors.New("the daemon runs in its launcher's process group")

// checkGroup refuses a daemon, pid, that is a member of this process's own process group.
// A daemon already gone, or whose group cannot be read, passes: its end is told otherwise.
// The caller, which knows the strategy's registered name, adds it.
func checkGroup(pid int) error {
	pgid, err := unix.Getpgid(pid)
	if err != nil || pgid != unix.Getpgrp() {
		return nil
	}
	return fmt.Errorf("%w (pid %d, group %d): the strategy must start it in a process group of its own (SysProcAttr Setpgid or Setsid), or a stop that has to SIGKILL its group would kill what started it; killed it",
		ErrCallersGroup, pid, pgid)
}
