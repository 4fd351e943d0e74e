package launcher

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// TestExplainLimit: fork's EAGAIN names the user's process limit (ulimit -u) with its
// value and the fix, or, for root, whom it does not hold, the system's; EMFILE names
// ulimit -n, ENFILE fs.file-max; each still wraps its errno, and any other error is left
// as it is.
func TestExplainLimit(t *testing.T) {
	old, oldTasks := realUID, tasksOf
	t.Cleanup(func() { realUID, tasksOf = old, oldTasks })
	eagain := &fs.PathError{Op: "fork/exec", Path: "/proc/self/exe", Err: syscall.EAGAIN}
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NPROC, &rl); err != nil || rl.Cur == unix.RLIM_INFINITY {
		t.Skipf("RLIMIT_NPROC %v, %v: no limit to reach", rl.Cur, err)
	}

	realUID = func() int { return 1000 }
	tasksOf = func(int) (int, bool) { return int(rl.Cur), true } // uid 1000 is at its limit
	err := ExplainLimit(eagain)
	want := fmt.Sprintf("fork/exec /proc/self/exe: resource temporarily unavailable: the processes of uid 1000 reached their limit (ulimit -u, RLIMIT_NPROC: %s), or the system its own (kernel.threads-max, a cgroup's pids.max): raise ulimit -u in the shell that starts daemonkit (LimitNPROC= in a unit), or end some of that user's processes",
		softLimit(unix.RLIMIT_NPROC))
	if !errors.Is(err, syscall.EAGAIN) || err.Error() != want {
		t.Errorf("ExplainLimit(EAGAIN) as uid 1000 =\n%v\nwant\n%s", err, want)
	}
	// Within its limit (a cgroup's pids.max refused the fork; or, since Linux 5.17, a root
	// supervisor's --user program, whose user's limit root's CAP_SYS_RESOURCE lifts): the
	// system's, and the user's count is said to be within its own.
	tasksOf = func(int) (int, bool) { return 3, true }
	if err := ExplainLimit(eagain); !strings.Contains(err.Error(), ": the system's limit on processes is reached") || !strings.Contains(err.Error(), "the processes of uid 1000 are within their own") {
		t.Errorf("ExplainLimit(EAGAIN) as uid 1000 within its limit = %v; want the system's limit", err)
	}
	realUID = func() int { return 0 }
	if err := ExplainLimit(eagain); !strings.Contains(err.Error(), ": the system's limit on processes is reached") || strings.Contains(err.Error(), "raise ulimit -u") {
		t.Errorf("ExplainLimit(EAGAIN) as root = %v; want the system's limit", err)
	}

	err = ExplainLimit(fmt.Errorf("create handshake pipe: %w", os.NewSyscallError("pipe2", syscall.EMFILE)))
	if !errors.Is(err, syscall.EMFILE) || !strings.Contains(err.Error(), "pipe2: too many open files: the process has as many files open as its limit allows (ulimit -n, RLIMIT_NOFILE: ") {
		t.Errorf("ExplainLimit(EMFILE) = %v", err)
	}
	if err := ExplainLimit(syscall.ENFILE); !errors.Is(err, syscall.ENFILE) || !strings.Contains(err.Error(), "fs.file-max") {
		t.Errorf("ExplainLimit(ENFILE) = %v", err)
	}
	for _, other := range []error{nil, syscall.ENOENT, errors.New("chdir /nope: no such file or directory")} {
		if got := ExplainLimit(other); got != other {
			t.Errorf("ExplainLimit(%v) = %v; want it as it is", other, got)
		}
	}
}
