package launcher

import (
	"golang.org/x/sys/unix"

	"github.com/daemonkit/daemonkit/internal/proc"
)

// sweep kills what is left of this launch's process group: the child (the daemon, or the
// re-exec intermediate) leads a process group of its own, which the daemon and any process
// it started are in unless they moved out. It runs after a failure, once the daemon itself
// is gone, and it is safe because the child is not reaped yet: while it exists, its pid,
// and so the group's id, can name nothing else. It returns the pids it waited for (Linux),
// for reaping.
func (l *launcher) sweep() []int {
	g := l.started.Process.Pid
	if pgid, err := unix.Getpgid(g); err != nil || pgid != g {
		return nil // it does not lead its own group: nothing can be swept safely
	}
	if err := unix.Kill(-g, unix.SIGKILL); err != nil {
		return nil // ESRCH: nobody is left in the group
	}
	l.log.Debug("killed what was left of the process group", "pgid", g)
	return proc.WaitGroupGone(g, exitGrace)
}
