package supervisor

import (
	"errors"
	"fmt"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/daemonkit/daemonkit/internal/openfiles"
)

// upgradeError is the text an upgrade's reply, and the supervisor's log line, give for
// err, the error of starting the new copy in the supervisor pid. Where the supervisor's
// own limit on open files refused it (EMFILE), the advice is for a supervisor that runs
// already: a new copy is started from it, with its limit, which no ulimit -n in a shell
// reaches now; prlimit does, or a stop and a start from a shell with a higher one (a
// restart keeps the limits it had).
func upgradeError(err error, pid int) string {
	if !errors.Is(err, syscall.EMFILE) {
		return err.Error()
	}
	return openfiles.Readvise(err, nofileAdvice(pid, ownNofile()))
}

// acceptError is the text of the answer to, and the log line of, an upgrade whose
// connection the supervisor pid took only with the descriptor it keeps for this, its
// accept refused with err: where its own limit on open files refused it (EMFILE), err
// and the advice of a new copy refused by it, which no upgrade gets past either.
func acceptError(err error, pid int) string {
	err = fmt.Errorf("take the upgrade's connection: %w", err)
	if !errors.Is(err, syscall.EMFILE) {
		return err.Error()
	}
	return err.Error() + ": " + nofileAdvice(pid, ownNofile())
}

// ownNofile is this process's limit on open files, zero if unknown.
func ownNofile() unix.Rlimit {
	var rl unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_NOFILE, &rl) != nil {
		return unix.Rlimit{}
	}
	return rl
}

// nofileAdvice is the advice for the supervisor pid whose limit on open files, rl (zero
// if unknown), refused a new copy. The prlimit it suggests raises the soft limit and
// never lowers the hard one: a hard limit lowered is one only root raises again.
func nofileAdvice(pid int, rl unix.Rlimit) string {
	limit, soft, hard := "unknown", uint64(4096), "4096"
	if rl.Cur > 0 {
		limit = fmt.Sprintf("%d, hard %s", rl.Cur, rlimitText(uint64(rl.Max)))
		soft = max(soft, 4*uint64(rl.Cur))
		hard = rlimitText(max(soft, uint64(rl.Max)))
	}
	asRoot := ""
	if rl.Cur == 0 || soft > uint64(rl.Max) {
		asRoot = " (past its hard limit, as root)"
	}
	return fmt.Sprintf("the supervisor (pid %d) has as many files open as its limit allows (RLIMIT_NOFILE: %s), and the new copy is started from it: a higher ulimit -n in a shell does not reach a supervisor that runs already. Raise its limit with 'prlimit --pid %d --nofile=%d:%s'%s and upgrade again, or stop the instance and start it again from a shell with a higher ulimit -n (LimitNOFILE= in a unit): restart keeps the limits it was started with",
		pid, limit, pid, soft, hard, asRoot)
}

// rlimitText is a limit's value as prlimit takes it.
func rlimitText(v uint64) string {
	if v == uint64(unix.RLIM_INFINITY) {
		return "unlimited"
	}
	return strconv.FormatUint(v, 10)
}
