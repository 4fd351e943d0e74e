package logfile

import "golang.org/x/sys/unix"

// dupOnto makes descriptor to a duplicate of from, atomically, without close-on-exec.
// EBUSY (a racing open in another thread) and EINTR are retried a few times.
func dupOnto(from, to int) error {
	var err error
	for range maxAttempts {
		if err = unix.Dup3(from, to, 0); err != unix.EBUSY && err != unix.EINTR {
			return err
		}
	}
	return err
}
