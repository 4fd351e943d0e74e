//go:build !linux

package proc

import (
	"errors"
	"syscall"
)

// SignalAction cannot tell a process's signal dispositions here: the error wraps
// errors.ErrUnsupported.
func SignalAction(int, syscall.Signal) (Action, error) { return 0, errors.ErrUnsupported }

// TracerPID cannot tell a process's tracer here: it is 0.
func TracerPID(int) int { return 0 }
