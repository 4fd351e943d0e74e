//go:build !linux

package server

// clearInherited does nothing outside Linux: Notify already re-enables the signals the
// daemon catches.
func clearInherited(bool) []error { return nil }

// ExecUnblocked does nothing outside Linux, where it cannot tell what was blocked at exec.
func ExecUnblocked() error { return nil }

// awaitSignalThread returns at once outside Linux, where no file shows a thread's mask.
func awaitSignalThread() {}
