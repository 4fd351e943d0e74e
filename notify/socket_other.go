//go:build !linux

package notify

import "io/fs"

// oobSize is 0: no control messages are read outside Linux.
func oobSize() int { return 0 }

// Listen returns an error wrapping ErrUnsupported: only Linux passes credentials the way
// the sd_notify protocol needs.
func Listen(dir string) (*Socket, error) {
	return nil, &fs.PathError{Op: "listen notify socket", Path: dir, Err: ErrUnsupported}
}

// control is never reached: no Socket exists here.
func control(_ []byte, fds []int) (pid int, hasCred bool, _ []int) { return 0, false, fds }
