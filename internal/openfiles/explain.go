package openfiles

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
)

// set is the limit Set last gave this process (--limit-nofile, where daemonkit's own
// server is the work), 0 if none: a descriptor refused under it is that flag's doing.
var set atomic.Uint64

// explained is an error Explain has explained, which it leaves as it is.
type explained struct {
	err error
	why string
}

func (e *explained) Error() string { return e.err.Error() + ": " + e.why }
func (e *explained) Unwrap() error { return e.err }

// Explain adds to err, when a limit on open files refused it (EMFILE: this process's,
// RLIMIT_NOFILE; ENFILE: the system's, fs.file-max), which limit, its value, and the fix;
// more is a further fix the caller knows of (", or, for the program, --limit-nofile"). A
// limit that --limit-nofile set on this process (Set) is named as that flag's, whose value
// is the fix. Any other error, nil, and an error Explain already explained (here, or in a
// wrapped error) it returns as they are. The result wraps err: errors.Is still finds the
// errno.
func Explain(err error, more string) error {
	why := Advice(err)
	if why == "" {
		return err
	}
	if errors.Is(err, syscall.EMFILE) && set.Load() == 0 {
		why += more
	}
	return &explained{err: err, why: why}
}

// Advice is what Explain adds to err, "" where it adds nothing.
func Advice(err error) string {
	var done *explained
	switch {
	case err == nil || errors.As(err, &done):
		return ""
	case errors.Is(err, syscall.EMFILE):
		soft := softNofile()
		if n := set.Load(); n > 0 && soft == strconv.FormatUint(n, 10) {
			return fmt.Sprintf("the process has as many files open as its limit allows (RLIMIT_NOFILE: %d, which --limit-nofile %d set): give --limit-nofile a higher value, or leave it out", n, n)
		}
		return fmt.Sprintf("the process has as many files open as its limit allows (ulimit -n, RLIMIT_NOFILE: %s): raise ulimit -n in the shell that starts daemonkit (LimitNOFILE= in a unit)", soft)
	case errors.Is(err, syscall.ENFILE):
		return "the system has as many files open as it allows (fs.file-max): close some, or raise fs.file-max (sysctl)"
	}
	return ""
}

// softNofile is this process's soft RLIMIT_NOFILE, "unlimited", or "unknown".
func softNofile() string {
	var rl unix.Rlimit
	switch {
	case unix.Getrlimit(unix.RLIMIT_NOFILE, &rl) != nil:
		return "unknown"
	case uint64(rl.Cur) == uint64(unix.RLIM_INFINITY):
		return "unlimited"
	}
	return strconv.FormatUint(uint64(rl.Cur), 10)
}

// Readvise is err's text with the advice Explain gave it (its own, or a wrapped error's)
// replaced by advice, for a caller that knows the fix better: a supervisor that runs
// already, which no shell's ulimit -n reaches. An error Explain did not explain keeps its
// text.
func Readvise(err error, advice string) string {
	var done *explained
	if !errors.As(err, &done) {
		return err.Error()
	}
	was := done.err.Error() + ": " + done.why
	return strings.Replace(err.Error(), was, done.err.Error()+": "+advice, 1)
}
