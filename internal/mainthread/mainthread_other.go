//go:build !linux

package mainthread

import "errors"

// ErrBlocked is never returned outside Linux.
var ErrBlocked = errors.New("could not run on the main thread")

// Run runs f. Outside Linux no file shows the main thread's signal mask, and threads cannot
// be told apart portably.
func Run(f func()) bool {
	f()
	return true
}
