package supervisor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/hashicorp/go-hclog"
	"golang.org/x/sys/unix"

	"github.com/daemonkit/daemonkit/internal/testutil"
)

func init() {
	helpers["start-low-nofile"] = startUnderLowNofile
}

// startUnderLowNofile starts a program as the supervisor does, under an open-files limit
// that leaves room for its stdin (/dev/null) and none for its output pipe, and prints
// "limit N" and the error.
func startUnderLowNofile() int {
	r, w, err := os.Pipe() // the runtime's poller makes its own descriptors now, not under the limit
	if err != nil {
		fmt.Println(err)
		return 1
	}
	r.Close()
	w.Close()
	names, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		fmt.Println(err)
		return 1
	}
	open := map[int]bool{}
	for _, n := range names {
		fd, _ := strconv.Atoi(n.Name())
		open[fd] = true
	}
	limit := 0
	for free := 0; free < 1; limit++ {
		if !open[limit] {
			free++
		}
	}
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
		fmt.Println(err)
		return 1
	}
	rl.Cur = uint64(limit)
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
		fmt.Println(err)
		return 1
	}
	command := []string{"/bin/sh", "-c", "exit 0"}
	run := &run{s: New(Config{Command: command}, io.Discard), ctx: context.Background(), log: hclog.NewNullLogger(), command: command}
	_, err = run.start(os.Environ())
	fmt.Printf("limit %d\n%v\n", limit, err)
	return 0
}

// TestStartLowNofile: a program the supervisor cannot start for want of descriptors
// (ulimit -n) is reported naming the limit, its value and how to raise it, not only "too
// many open files".
func TestStartLowNofile(t *testing.T) {
	out, err := testutil.Helper(t, "start-low-nofile", nil).CombinedOutput()
	if err != nil {
		t.Fatalf("the helper: %v\n%s", err, out)
	}
	limit, _, _ := strings.Cut(strings.TrimPrefix(string(out), "limit "), "\n")
	want := "start /bin/sh: its output pipe: pipe2: too many open files: the process has as many files open as its limit allows (ulimit -n, RLIMIT_NOFILE: " + limit + "): raise ulimit -n in the shell that starts daemonkit (LimitNOFILE= in a unit), or, for the program, --limit-nofile\n"
	if _, err := strconv.Atoi(limit); err != nil || !strings.Contains(string(out), "\n"+want) {
		t.Errorf("the helper said:\n%s\nwant the limit, then:\n%s", out, want)
	}
}

// TestExplainExecLimit: the program's start refused by the user's process limit (fork's
// EAGAIN) says so, with that limit's value and the fix, as the launcher says it.
func TestExplainExecLimit(t *testing.T) {
	err := explainExec("/bin/sh", &fs.PathError{Op: "fork/exec", Path: "/bin/sh", Err: syscall.EAGAIN}, nil)
	var rl unix.Rlimit
	if gerr := unix.Getrlimit(unix.RLIMIT_NPROC, &rl); gerr != nil {
		t.Fatal(gerr)
	}
	want := "fork/exec /bin/sh: resource temporarily unavailable: the " // the user's limit, or the system's where the user is within it
	if os.Getuid() == 0 {
		want = "fork/exec /bin/sh: resource temporarily unavailable: the system's limit on processes is reached (kernel.threads-max, kernel.pid_max, or a cgroup's pids.max: TasksMax= in a unit); root, with CAP_SYS_RESOURCE, is not held to ulimit -u"
	}
	if !errors.Is(err, syscall.EAGAIN) || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("explainExec of EAGAIN = %v; want it to begin %q", err, want)
	}
	// A program started with --user: its exec after the change of user is counted against
	// that user's processes, whoever runs the supervisor; a user far from the limit (an id
	// no process here has) is not blamed.
	err = explainExec("/bin/sleep", &fs.PathError{Op: "fork/exec", Path: "/bin/sleep", Err: syscall.EAGAIN}, &syscall.Credential{Uid: 4242421, Gid: 4242421})
	if rl.Cur != unix.RLIM_INFINITY && !strings.Contains(err.Error(), "the processes of uid 4242421 are within their own (ulimit -u, RLIMIT_NPROC: ") {
		t.Errorf("explainExec of EAGAIN as uid 4242421 = %v; want that user within its own limit", err)
	}
	err = explainExec("/bin/sh", &fs.PathError{Op: "fork/exec", Path: "/bin/sh", Err: syscall.EMFILE}, nil)
	if !errors.Is(err, syscall.EMFILE) || !strings.Contains(err.Error(), "raise ulimit -n in the shell that starts daemonkit") {
		t.Errorf("explainExec of EMFILE = %v; want ulimit -n named", err)
	}
}
