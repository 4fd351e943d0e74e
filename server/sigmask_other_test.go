//go:build !linux

package server_test

import (
	"errors"
	"os/signal"
	"syscall"
)

// blockSignals is only needed by the Linux tests of the inherited signal state.
func blockSignals(sigs []syscall.Signal) error {
	if len(sigs) > 0 {
		return errors.New("blocking signals before exec is only tested on Linux")
	}
	return nil
}

// ignoreBeforeExec ignores sig, for the exec that follows.
func ignoreBeforeExec(sig syscall.Signal) error {
	signal.Ignore(sig)
	return nil
}
