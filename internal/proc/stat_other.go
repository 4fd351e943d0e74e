//go:build !linux

package proc

import (
	"errors"
	"fmt"
	"syscall"
)

// Stat is what /proc/PID/stat says of a process; there is no such file here.
type Stat struct {
	State     byte
	PPID      int
	PGRP      int
	SID       int
	TTY       int
	StartTime uint64
	ExitCode  int // a zombie's wait status: never read here, so 0
}

// Zombie reports whether the state is one of a process that has exited.
func (s Stat) Zombie() bool { return s.State == 'Z' }

// Stopped reports whether the process is stopped by a signal.
func (s Stat) Stopped() bool { return s.State == 'T' }

// Traced reports whether the process is held by a tracer; no Stat is read here, so none is.
func (s Stat) Traced() bool { return false }

// KernelThread reports whether it is a kernel thread; no Stat is read here, so none is.
func (s Stat) KernelThread() bool { return false }

// ReadStat cannot read a process's state here: the error wraps errors.ErrUnsupported.
func ReadStat(pid int) (Stat, error) {
	return Stat{}, fmt.Errorf("read the state of pid %d: %w", pid, errors.ErrUnsupported)
}

// InKernelWait cannot tell here: false.
func InKernelWait(pid int) bool { return false }

// Halted cannot tell here: ErrCannotTell.
func Halted(pid int) (bool, error) { return false, ErrCannotTell }

// ZombieExitStatus is the wait status of a zombie, which /proc would give on Linux: never
// known here.
func ZombieExitStatus(pid int, start uint64) (ws syscall.WaitStatus, ok bool) { return 0, false }
