//go:build !linux

package proc

// GoDeaf runs f on a goroutine of its own; see the Linux version, whose thread also blocks
// every signal.
func GoDeaf(f func()) { go f() }
