//go:build !linux

package supervisor

import "syscall"

// killInstance SIGKILLs the program's main process; without /proc the rest of the
// instance cannot be listed here.
func (s *Supervisor) killInstance() { s.signal(syscall.SIGKILL) }
