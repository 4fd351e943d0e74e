//go:build linux

package scripttest

import (
	"fmt"
	"os"

	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/sys/unix"
)

// nofilespare PID N: sets PID's soft limit on open files (RLIMIT_NOFILE) to the
// descriptors it has open now and N more, its hard limit left as it is: a process that
// opens more than N at once gets EMFILE, one that opens N gets them, whatever it needed
// when it started.
func cmdNofilespare(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: nofilespare PID N")
	}
	pid, spare := atoiArg(ts, args[0]), atoiArg(ts, args[1])
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	ts.Check(err)
	var rl unix.Rlimit
	ts.Check(unix.Prlimit(pid, unix.RLIMIT_NOFILE, nil, &rl))
	rl.Cur = uint64(len(fds) + spare)
	ts.Check(unix.Prlimit(pid, unix.RLIMIT_NOFILE, &rl, nil))
}
