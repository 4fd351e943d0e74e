//go:build !linux

package supervisor

import (
	"errors"
	"syscall"
)

// witness is Linux's (its pending signals are read from /proc): here a supervisor has
// none, and passes INT and QUIT on as they come.
type witness struct{}

func startWitness() (*witness, error) { return nil, errors.ErrUnsupported }

func (w *witness) heard(syscall.Signal) func(pid int) bool { return func(int) bool { return false } }

func (w *witness) stop() {}

func (w *witness) pids() []int { return nil }
