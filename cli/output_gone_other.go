//go:build !linux

package cli

// atTerminal is false where this build does not read a process's terminal: a foreground
// start there runs on when its output's reader is gone, its lines dropped and counted.
func atTerminal() bool { return false }
