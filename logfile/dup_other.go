//go:build !linux

package logfile

import "golang.org/x/sys/unix"

// dupOnto makes descriptor to a duplicate of from, atomically, without close-on-exec
// (dup2 clears it). EINTR is retried a few times.
func dupOnto(from, to int) error {
	var err error
	for range maxAttempts {
		if err = unix.Dup2(from, to); err != unix.EINTR {
			return err
		}
	}
	return err
}
