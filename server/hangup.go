package server

import (
	"errors"
	"os"
	"syscall"
)

// terminalGone reports that this process has no controlling terminal any more: /dev/tty
// does not open, for want of one (ENXIO), or because it hung up (EIO). A process that had
// one loses it when it hangs up, before the kernel sends SIGHUP; a variable, for tests.
var terminalGone = func() bool {
	tty, err := os.OpenFile("/dev/tty", os.O_RDONLY|syscall.O_NOCTTY|syscall.O_NONBLOCK, 0)
	if err == nil {
		tty.Close()
		return false
	}
	return errors.Is(err, syscall.ENXIO) || errors.Is(err, syscall.EIO)
}

// AtTerminal reports whether this process has a controlling terminal that it can open:
// a foreground start typed at one, whose hangup Options.HangupStops then takes for a stop.
func AtTerminal() bool {
	tty, err := os.OpenFile("/dev/tty", os.O_RDONLY|syscall.O_NOCTTY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return false
	}
	tty.Close()
	return true
}
