//go:build linux

package scripttest

import (
	"fmt"
	"maps"
	"os"
	"strconv"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/sys/unix"
)

// nofilespare PID N: sets PID's soft limit on open files (RLIMIT_NOFILE) so that exactly N
// descriptors below it are free, its hard limit left as it is: the lowest descriptor free
// past those N is the limit (a descriptor closed earlier leaves a hole below the highest
// one open, which counts as free). A process that opens more than N at once gets EMFILE,
// one that opens N gets them, whatever it needed when it started. With -hard, its hard
// limit is set to the same: nothing may raise the soft one past it (root alone may lower it).
// The limit is set again until PID's descriptors are the same after it was set as before:
// one open for a moment as they were read (a daemon just started, writing a file) would
// leave one more free once closed.
func cmdNofilespare(ts *testscript.TestScript, neg bool, args []string) {
	hard := len(args) > 0 && args[0] == "-hard"
	if hard {
		args = args[1:]
	}
	if neg || len(args) != 2 {
		ts.Fatalf("usage: nofilespare [-hard] PID N")
	}
	pid, spare := atoiArg(ts, args[0]), atoiArg(ts, args[1])
	deadline := time.Now().Add(scriptDeadline)
	for open := openFDs(ts, pid); ; {
		limit := 0
		for free := 0; ; limit++ {
			if !open[limit] {
				if free == spare {
					break
				}
				free++
			}
		}
		var rl unix.Rlimit
		ts.Check(unix.Prlimit(pid, unix.RLIMIT_NOFILE, nil, &rl))
		rl.Cur = uint64(limit)
		ts.Check(unix.Prlimit(pid, unix.RLIMIT_NOFILE, &rl, nil))
		again := openFDs(ts, pid)
		if maps.Equal(open, again) {
			if hard { // once: a hard limit lowered is raised again by root alone
				rl.Max = rl.Cur
				ts.Check(unix.Prlimit(pid, unix.RLIMIT_NOFILE, &rl, nil))
			}
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("nofilespare: pid %d's open descriptors kept changing for %v", pid, scriptDeadline)
		}
		open = again
		time.Sleep(time.Millisecond) // a polling step: a descriptor closed wakes nobody
	}
}

// openFDs is the set of descriptors pid has open.
func openFDs(ts *testscript.TestScript, pid int) map[int]bool {
	entries, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	ts.Check(err)
	open := make(map[int]bool, len(entries))
	for _, e := range entries {
		if fd, err := strconv.Atoi(e.Name()); err == nil {
			open[fd] = true
		}
	}
	return open
}
