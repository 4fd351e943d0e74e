package supervisor

import (
	"errors"
	"fmt"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/daemonkit/daemonkit/internal/openfiles"
)

// upgradeError is the text an upgrade's reply gives for err, the error of starting the
// new copy in the supervisor pid. Where the supervisor's own limit on open files refused
// it (EMFILE), the advice is for a supervisor that runs already: a new copy is started
// from it, with its limit, which no ulimit -n in a shell reaches now; prlimit does, or a
// stop and a start from a shell with a higher one (a restart keeps the limits it had).
func upgradeError(err error, pid int) string {
	if !errors.Is(err, syscall.EMFILE) {
		return err.Error()
	}
	var rl unix.Rlimit
	limit, higher := "unknown", uint64(4096)
	if unix.Getrlimit(unix.RLIMIT_NOFILE, &rl) == nil {
		limit = fmt.Sprintf("%d, hard %d", rl.Cur, rl.Max)
		higher = max(higher, 4*rl.Cur)
	}
	return openfiles.Readvise(err, fmt.Sprintf("the supervisor (pid %d) has as many files open as its limit allows (RLIMIT_NOFILE: %s), and the new copy is started from it: a higher ulimit -n in a shell does not reach a supervisor that runs already. Raise its limit with 'prlimit --pid %d --nofile=%d:%d' (past its hard limit, as root) and upgrade again, or stop the instance and start it again from a shell with a higher ulimit -n (LimitNOFILE= in a unit): restart keeps the limits it was started with",
		pid, limit, pid, higher, higher))
}
