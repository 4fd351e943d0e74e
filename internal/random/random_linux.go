// Package random fills buffers from the kernel's CSPRNG without crypto/rand, whose package
// tree every process of the binary would otherwise pay for at start-up (see
// docs/performance.md).
package random

import (
	"errors"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// Read fills b from the kernel's CSPRNG with getrandom(2), as crypto/rand does on Linux.
// With no flags, getrandom waits until the pool is initialised (early boot only); while it
// waits a signal may interrupt it (EINTR), and past 256 bytes it may return fewer than
// asked: both are retried. Where getrandom is missing (ENOSYS, a kernel older than 3.17)
// it reads /dev/urandom instead, as crypto/rand does. Any other failure is returned: b is
// never used as random when it is not.
func Read(b []byte) error {
	for len(b) > 0 {
		n, err := unix.Getrandom(b, 0)
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.ENOSYS:
			return readURandom(b)
		case err != nil:
			return os.NewSyscallError("getrandom", err)
		case n <= 0: // not for a non-empty b; never loop on it
			return errors.New("getrandom: no bytes")
		}
		b = b[n:]
	}
	return nil
}

// readURandom fills b from /dev/urandom, for kernels without getrandom(2).
func readURandom(b []byte) error {
	f, err := os.Open("/dev/urandom")
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.ReadFull(f, b)
	return err
}
