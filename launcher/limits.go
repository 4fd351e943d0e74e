package launcher

import (
	"errors"
	"os"
	"syscall"

	"github.com/daemonkit/daemonkit/internal/limits"
	"github.com/daemonkit/daemonkit/internal/openfiles"
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
//     kernel.pid_max, a cgroup's pids.max); root is held to the system's alone
//     (limits.ExplainProcs, which the reexec strategy's intermediate gives too).
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
	if errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
		return openfiles.Explain(err, ", or, for the program, --limit-nofile")
	}
	return limits.ExplainProcs(err, uid)
}

// realUID is the real user id, whose processes RLIMIT_NPROC counts (a variable for the
// tests).
var realUID = os.Getuid

// LaunchFiles is how many descriptors every Launch holds open at once, beyond those open
// when it is called: the daemon's standard input and output (/dev/null, the log), the
// handshake pipe's two ends, the two of the pipe on which fork and exec report a failed
// exec, and the pidfd that os.StartProcess opens for the child where the kernel has them
// (Linux 5.4 on; measured: a restart with 6 free failed to launch). A process with fewer
// free (openfiles.Free) surely cannot launch here; one with more may still fail, for what
// the strategy or the supervisor open besides.
const LaunchFiles = 7
