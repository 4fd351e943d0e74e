package supervisor

import (
	"errors"
	"io/fs"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// hasTerminal reports whether this process may have a controlling terminal: only ENXIO
// from opening /dev/tty says it has none; any other failure (a minimal /dev without it,
// EIO from a hung-up terminal) counts as one, so that a program run as another user is
// given a session of its own whenever it is not certain it needs none.
func hasTerminal() bool {
	tty, err := os.Open("/dev/tty")
	if err != nil {
		return !errors.Is(err, syscall.ENXIO)
	}
	tty.Close()
	return true
}

// noTerminal reports that this process has no controlling terminal for sure: /dev/tty
// says ENXIO, or is missing (a container or chroot without it).
func noTerminal() bool {
	tty, err := os.Open("/dev/tty")
	if err != nil {
		return errors.Is(err, syscall.ENXIO) || errors.Is(err, fs.ErrNotExist)
	}
	tty.Close()
	return false
}

// groupHad is the test of whether a stop signal sig, which this process caught, already
// reached every process of its process group: true for INT and QUIT (Ctrl-C, Ctrl-\)
// while this process's group is the foreground one of its controlling terminal, which
// sends those keys' signals to the whole group. Its result reports whether pid is in that
// group: such a process had the signal from the terminal, and is not sent it again; many
// programs take a second Ctrl-C for "quit now, skip the cleanup", as a shell does.
// Otherwise (a daemon, a stop command's TERM, a program in a group of its own) it reports
// false for every pid, and the signal is passed on.
//
// A `kill -INT` of this process alone, from another shell while it is in the foreground,
// looks the same and is not passed on either: the program is then killed at the end of
// the shutdown timeout. A stop sends TERM, which is always passed on.
func groupHad(sig syscall.Signal) func(pid int) bool {
	never := func(int) bool { return false }
	if sig != syscall.SIGINT && sig != syscall.SIGQUIT {
		return never
	}
	tty, err := os.Open("/dev/tty")
	if err != nil {
		return never
	}
	defer tty.Close()
	group := unix.Getpgrp()
	if fg, err := unix.IoctlGetInt(int(tty.Fd()), unix.TIOCGPGRP); err != nil || fg != group {
		return never
	}
	return func(pid int) bool {
		pg, err := unix.Getpgid(pid)
		return err == nil && pg == group
	}
}
