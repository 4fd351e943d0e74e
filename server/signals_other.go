//go:build !linux

package server

import "errors"

// errMainThread is never returned outside Linux.
var errMainThread = errors.New("could not run on the main thread")

// onMainThread runs f. Outside Linux no file shows the main thread's signal mask, and
// threads cannot be told apart portably.
func onMainThread(f func()) bool {
	f()
	return true
}

// clearInherited does nothing outside Linux: Notify already re-enables the signals the
// daemon catches.
func clearInherited(bool) []error { return nil }
