//go:build !linux

package proc

import (
	"errors"
	"syscall"
)

// LeavesDefault cannot tell a process's signal dispositions here: the error wraps
// errors.ErrUnsupported.
func LeavesDefault(int, syscall.Signal) (bool, error) { return false, errors.ErrUnsupported }
