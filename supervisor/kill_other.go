//go:build !linux

package supervisor

import "syscall"

// dieWithSupervisor does nothing here: a parent-death signal is Linux's (FreeBSD's procctl
// is not used), so a program outlives a supervisor killed with SIGKILL.
func dieWithSupervisor(*syscall.SysProcAttr) {}

// keepDeathSignal does nothing here, as dieWithSupervisor does nothing.
func keepDeathSignal() error { return nil }

// killInstance SIGKILLs the program's main process; without /proc the rest of the
// instance cannot be listed here, nor what outlived it.
func (s *Supervisor) killInstance() (left []int) {
	s.signal(syscall.SIGKILL)
	return nil
}

// killDeadCopies kills nothing here: without /proc, what a copy left cannot be found.
func (r *run) killDeadCopies() []int { return nil }
