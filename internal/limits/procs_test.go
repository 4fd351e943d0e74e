package limits

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// TestExplainProcs: fork's EAGAIN names the user's process limit (ulimit -u) with its
// value and the fix, or, for root, whom it does not hold, the system's; it still wraps
// its errno, and any other error is left as it is.
func TestExplainProcs(t *testing.T) {
	oldTasks := tasksOf
	t.Cleanup(func() { tasksOf = oldTasks })
	eagain := &fs.PathError{Op: "fork/exec", Path: "/proc/self/exe", Err: syscall.EAGAIN}
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NPROC, &rl); err != nil || rl.Cur == unix.RLIM_INFINITY {
		t.Skipf("RLIMIT_NPROC %v, %v: no limit to reach", rl.Cur, err)
	}

	tasksOf = func(int) (int, bool) { return int(rl.Cur), true } // uid 1000 is at its limit
	err := ExplainProcs(eagain, 1000)
	want := fmt.Sprintf("fork/exec /proc/self/exe: resource temporarily unavailable: the processes of uid 1000 reached their limit (ulimit -u, RLIMIT_NPROC: %s), or the system its own (kernel.threads-max, a cgroup's pids.max): raise ulimit -u in the shell that starts daemonkit (LimitNPROC= in a unit), or end some of that user's processes",
		SoftText(unix.RLIMIT_NPROC))
	if !errors.Is(err, syscall.EAGAIN) || err.Error() != want {
		t.Errorf("ExplainProcs(EAGAIN) as uid 1000 =\n%v\nwant\n%s", err, want)
	}
	// Within its limit (a cgroup's pids.max refused the fork; or, since Linux 5.17, a root
	// supervisor's --user program, whose user's limit root's CAP_SYS_RESOURCE lifts): the
	// system's, and the user's count is said to be within its own.
	tasksOf = func(int) (int, bool) { return 3, true }
	if err := ExplainProcs(eagain, 1000); !strings.Contains(err.Error(), ": the system's limit on processes is reached") || !strings.Contains(err.Error(), "the processes of uid 1000 are within their own") {
		t.Errorf("ExplainProcs(EAGAIN) as uid 1000 within its limit = %v; want the system's limit", err)
	}
	if err := ExplainProcs(eagain, 0); !strings.Contains(err.Error(), ": the system's limit on processes is reached") || strings.Contains(err.Error(), "raise ulimit -u") {
		t.Errorf("ExplainProcs(EAGAIN) as root = %v; want the system's limit", err)
	}
	for _, other := range []error{nil, syscall.EMFILE, syscall.ENOENT, errors.New("chdir /nope: no such file or directory")} {
		if got := ExplainProcs(other, 1000); got != other {
			t.Errorf("ExplainProcs(%v) = %v; want it as it is", other, got)
		}
	}
}
