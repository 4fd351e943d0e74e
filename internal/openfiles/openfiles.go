// Package openfiles sets a process's limit on open files, as --limit-nofile and systemd's
// LimitNOFILE= give it.
package openfiles

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// Set sets this process's RLIMIT_NOFILE, soft and hard, to n; processes it starts
// afterwards inherit it. The error names the limit and n. Explain names n as the cause of
// what it refuses later.
func Set(n uint64) error {
	var lim unix.Rlimit
	lim.Cur, lim.Max = rlim(n), rlim(n)
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("set the open-files limit (RLIMIT_NOFILE) to %d: %w", n, err)
	}
	set.Store(n)
	return nil
}

// CheckLimit says why n cannot be an open-files limit at all, whoever sets it: above the
// system's Ceiling (fs.nr_open on Linux). nil if it may be, or the ceiling is unknown. The
// error names the ceiling and what to do.
func CheckLimit(n uint64) error {
	ceiling, ok := Ceiling()
	switch {
	case !ok || n <= ceiling:
		return nil
	case n > nrOpenMax:
		return fmt.Errorf("above fs.nr_open (%d), the most open files any process may have, root's too, and above what the kernel lets it be raised to (%d): give at most %d", ceiling, uint64(nrOpenMax), ceiling)
	}
	return fmt.Errorf("above fs.nr_open (%d), the most open files any process may have, root's too: give at most %d, or raise fs.nr_open (sysctl -w fs.nr_open=%d)", ceiling, ceiling, n)
}

// nrOpenMax is the most Linux lets fs.nr_open be (sysctl_nr_open_max on 64-bit systems:
// INT_MAX, rounded down to a multiple of 64).
const nrOpenMax = 2147483584

// Allow raises this process's hard RLIMIT_NOFILE to n if it is lower, leaving the soft
// limit as it is, so that a process started from it, even as another user (who may not
// raise a hard limit), can Set n. It never lowers a limit: this process keeps what it
// needs. The error names the limits.
func Allow(n uint64) error {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("get the open-files limit (RLIMIT_NOFILE): %w", err)
	}
	if uint64(lim.Max) >= n { // RLIM_INFINITY is the largest of all
		return nil
	}
	hard := uint64(lim.Max)
	lim.Max = rlim(n)
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		if err == unix.EPERM {
			return fmt.Errorf("raise the hard open-files limit (RLIMIT_NOFILE) from %d to %d: %w (raising it takes root, or CAP_SYS_RESOURCE, and goes no higher than fs.nr_open)", hard, n, err)
		}
		return fmt.Errorf("raise the hard open-files limit (RLIMIT_NOFILE) from %d to %d: %w", hard, n, err)
	}
	return nil
}
