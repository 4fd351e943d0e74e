//go:build !linux

package server

// clearInherited does nothing outside Linux: Notify already re-enables the signals the
// daemon catches.
func clearInherited(bool) []error { return nil }
