package launcher

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/daemonkit/daemonkit/internal/openfiles"
	"github.com/daemonkit/daemonkit/internal/proc"
)

// ExplainLimit adds to err, an error of starting a process (fork, exec) or of making a
// descriptor for one (a pipe, a socket, a file), which limit refused it and how to raise
// it, when err says a limit did; any other error, and nil, it returns as they are. It is
// the one explanation the launcher and the supervisor (its program's start, and its exec
// errors) give:
//
//   - EAGAIN ("resource temporarily unavailable", of fork or clone, or of an exec after a
//     change of user): the processes of the real user reached its limit, RLIMIT_NPROC
//     (ulimit -u, whose soft value it gives), or the system's (kernel.threads-max,
//     kernel.pid_max, a cgroup's pids.max); root is held to the system's alone.
//   - EMFILE ("too many open files"): this process reached its limit on open files,
//     RLIMIT_NOFILE (ulimit -n, whose soft value it gives), or the one --limit-nofile set
//     on it; ENFILE: the system's, fs.file-max (openfiles.Explain says which, and the fix).
//
// The result wraps err: errors.Is still finds the errno.
func ExplainLimit(err error) error { return ExplainLimitAs(err, realUID()) }

// ExplainLimitAs is ExplainLimit for a process that runs as uid: a program started with
// --user, whose exec after the change of user fails with EAGAIN when that user's
// processes reached RLIMIT_NPROC.
func ExplainLimitAs(err error, uid int) error {
	switch {
	case errors.Is(err, syscall.EAGAIN) && uid == 0:
		return fmt.Errorf("%w: the system's limit on processes is reached (kernel.threads-max, kernel.pid_max, or a cgroup's pids.max: TasksMax= in a unit); root, with CAP_SYS_RESOURCE, is not held to ulimit -u (in a user namespace it is: ulimit -u, RLIMIT_NPROC: %s)", err, softLimit(unix.RLIMIT_NPROC))
	case errors.Is(err, syscall.EAGAIN) && !userAtLimit(uid):
		return fmt.Errorf("%w: the system's limit on processes is reached (kernel.threads-max, kernel.pid_max, or a cgroup's pids.max: TasksMax= in a unit); the processes of uid %d are within their own (ulimit -u, RLIMIT_NPROC: %s)", err, uid, softLimit(unix.RLIMIT_NPROC))
	case errors.Is(err, syscall.EAGAIN):
		return fmt.Errorf("%w: the processes of uid %d reached their limit (ulimit -u, RLIMIT_NPROC: %s), or the system its own (kernel.threads-max, a cgroup's pids.max): raise ulimit -u in the shell that starts daemonkit (LimitNPROC= in a unit), or end some of that user's processes",
			err, uid, softLimit(unix.RLIMIT_NPROC))
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE):
		return openfiles.Explain(err, ", or, for the program, --limit-nofile")
	}
	return err
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

// realUID is the real user id, whose processes RLIMIT_NPROC counts (a variable for the
// tests).
var realUID = os.Getuid

// softLimit is the soft value of resource for this process, "unlimited", or "unknown".
func softLimit(resource int) string {
	var rl unix.Rlimit
	switch {
	case unix.Getrlimit(resource, &rl) != nil:
		return "unknown"
	case rl.Cur == unix.RLIM_INFINITY:
		return "unlimited"
	}
	return strconv.FormatUint(uint64(rl.Cur), 10)
}

// LaunchFiles is how many descriptors every Launch holds open at once, beyond those open
// when it is called: the daemon's standard input and output (/dev/null, the log), the
// handshake pipe's two ends, the two of the pipe on which fork and exec report a failed
// exec, and the pidfd that os.StartProcess opens for the child where the kernel has them
// (Linux 5.4 on; measured: a restart with 6 free failed to launch). A process with fewer
// free (openfiles.Free) surely cannot launch here; one with more may still fail, for what
// the strategy or the supervisor open besides.
const LaunchFiles = 7
