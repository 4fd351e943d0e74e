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

// dupOntoFlags is dupOnto with flags for to (0, or O_CLOEXEC, set right after the dup2:
// no dup3 here).
func dupOntoFlags(from, to, flags int) error {
	if err := dupOnto(from, to); err != nil || flags&unix.O_CLOEXEC == 0 {
		return err
	}
	_, err := unix.FcntlInt(uintptr(to), unix.F_SETFD, unix.FD_CLOEXEC)
	return err
}
