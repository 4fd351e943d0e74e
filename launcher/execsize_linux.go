package launcher

import (
	"os"

	"golang.org/x/sys/unix"
)

// maxArgString is MAX_ARG_STRLEN: the most bytes, NUL included, of one argument or
// environment string that execve(2) takes, 32 pages.
func maxArgString() int { return 32 * os.Getpagesize() }

// maxArgTotal is the most bytes execve(2) takes for its strings and their pointers (fs/exec.c,
// bprm_stack_limits): a quarter of the soft stack limit, at most three quarters of
// _STK_LIM (8 MiB), and never less than ARG_MAX (128 KiB).
func maxArgTotal() int {
	const argMax, stkLim = 128 << 10, 8 << 20
	limit := uint64(stkLim / 4 * 3)
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_STACK, &rl); err == nil {
		limit = min(limit, rl.Cur/4) // RLIM_INFINITY/4 is still more than the cap
	}
	return int(max(limit, argMax))
}
