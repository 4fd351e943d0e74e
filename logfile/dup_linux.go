package logfile

import "golang.org/x/sys/unix"

// dupOnto makes descriptor to a duplicate of from, atomically, without close-on-exec.
// EBUSY (a racing open in another thread) and EINTR are retried a few times.
func dupOnto(from, to int) error { return dupOntoFlags(from, to, 0) }

// dupOntoFlags is dupOnto with flags for to (0, or O_CLOEXEC).
func dupOntoFlags(from, to, flags int) error {
	var err error
	for range maxAttempts {
		if err = unix.Dup3(from, to, flags); err != unix.EBUSY && err != unix.EINTR {
			return err
		}
	}
	return err
}
