//go:build !linux

package sockfile

import (
	"errors"
	"fmt"
)

// BoundFile would return the device and inode of the file that the unix socket open as
// fd made when it was bound: off Linux there is no way to ask the kernel, and it fails.
func BoundFile(fd int) (dev, ino uint64, err error) {
	return 0, 0, fmt.Errorf("find the file a socket is bound to: %w", errors.ErrUnsupported)
}

// sameIno reports whether an inode as stat(2) gives it is ino.
func sameIno(statIno, ino uint64) bool { return statIno == ino }
