//go:build !linux

package proc

// SetName does nothing here: a process keeps the name of the file it was executed from.
func SetName(string) error { return nil }
