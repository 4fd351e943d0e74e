package supervisor

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
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

// controllingTerminal reports whether this process has a controlling terminal: /dev/tty
// opens.
func controllingTerminal() bool {
	tty, err := os.Open("/dev/tty")
	if err != nil {
		return false
	}
	tty.Close()
	return true
}
