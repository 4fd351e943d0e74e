package limits

import (
	"errors"
	"fmt"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/daemonkit/daemonkit/internal/proc"
)

// ExplainProcs adds to err, when it is EAGAIN ("resource temporarily unavailable", of
// fork or clone, or of an exec after a change of user) of a process that runs as uid,
// which limit on processes refused it and how to raise it: the processes of uid reached
// its limit, RLIMIT_NPROC (ulimit -u, whose soft value it gives), or the system's
// (kernel.threads-max, kernel.pid_max, a cgroup's pids.max); root is held to the
// system's alone. Any other error, and nil, it returns as they are. The result wraps err:
// errors.Is still finds the errno. It is the one explanation of EAGAIN that the launcher
// (launcher.ExplainLimit), the supervisor and the reexec strategy's intermediate give.
func ExplainProcs(err error, uid int) error {
	switch {
	case !errors.Is(err, syscall.EAGAIN):
		return err
	case uid == 0:
		return fmt.Errorf("%w: the system's limit on processes is reached (kernel.threads-max, kernel.pid_max, or a cgroup's pids.max: TasksMax= in a unit); root, with CAP_SYS_RESOURCE, is not held to ulimit -u (in a user namespace it is: ulimit -u, RLIMIT_NPROC: %s)", err, SoftText(unix.RLIMIT_NPROC))
	case !userAtLimit(uid):
		return fmt.Errorf("%w: the system's limit on processes is reached (kernel.threads-max, kernel.pid_max, or a cgroup's pids.max: TasksMax= in a unit); the processes of uid %d are within their own (ulimit -u, RLIMIT_NPROC: %s)", err, uid, SoftText(unix.RLIMIT_NPROC))
	}
	return fmt.Errorf("%w: the processes of uid %d reached their limit (ulimit -u, RLIMIT_NPROC: %s), or the system its own (kernel.threads-max, a cgroup's pids.max): raise ulimit -u in the shell that starts daemonkit (LimitNPROC= in a unit), or end some of that user's processes",
		err, uid, SoftText(unix.RLIMIT_NPROC))
}

// userAtLimit reports whether the tasks of uid are as many as this process's RLIMIT_NPROC
// allows, or may be (they cannot be counted, or the limit read). Where they are fewer, an
// EAGAIN is the system's limit, or a cgroup's.
func userAtLimit(uid int) bool {
	var rl unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_NPROC, &rl) != nil || rl.Cur == unix.RLIM_INFINITY {
		return rl.Cur != unix.RLIM_INFINITY
	}
	n, ok := tasksOf(uid)
	return !ok || uint64(n) >= uint64(rl.Cur) // int64 on some systems
}

// tasksOf counts uid's tasks (a variable for the tests).
var tasksOf = proc.TasksOf

// SoftText is the soft value of resource (unix.RLIMIT_*) for this process, "unlimited",
// or "unknown".
func SoftText(resource int) string {
	var rl unix.Rlimit
	switch {
	case unix.Getrlimit(resource, &rl) != nil:
		return "unknown"
	case rl.Cur == unix.RLIM_INFINITY:
		return "unlimited"
	}
	return strconv.FormatUint(uint64(rl.Cur), 10)
}
