//go:build !linux

package cli

// logWriters lists the processes that have the file at path open: none where /proc does
// not tell.
func logWriters(string) []int { return nil }

// heldPidfile is the pidfile that pid holds: none found where /proc does not tell.
func heldPidfile(int) (string, bool) { return "", false }
