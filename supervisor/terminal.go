package supervisor

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// openTerminal is why /dev/tty, this process's controlling terminal, does not open; nil
// if it does.
func openTerminal() error {
	tty, err := os.Open("/dev/tty")
	if err == nil {
		tty.Close()
	}
	return err
}

// hasTerminal reports whether this process may have a controlling terminal: only ENXIO
// from opening /dev/tty says it has none; any other failure (a minimal /dev without it,
// EIO from a hung-up terminal) counts as one, so that a program run as another user is
// given a session of its own whenever it is not certain it needs none.
func hasTerminal() bool { return !errors.Is(openTerminal(), syscall.ENXIO) }

// noTerminal reports that this process has no controlling terminal for sure: /dev/tty
// says ENXIO, or is missing (a container or chroot without it).
func noTerminal() bool {
	err := openTerminal()
	return errors.Is(err, syscall.ENXIO) || errors.Is(err, fs.ErrNotExist)
}

// controllingTerminal reports whether this process has a controlling terminal that it
// can use: /dev/tty opens.
func controllingTerminal() bool { return openTerminal() == nil }
