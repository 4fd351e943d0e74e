// Package chans holds what a select needs where two of its cases can be ready at once.
package chans

import "time"

// Came takes a value from ch if one has come (or ch is closed), without waiting, and
// reports whether it did.
//
// A select whose deadline (or stop) and whose outcome are both ready, as when the outcome
// comes as the deadline passes or the goroutine looks late on a loaded machine, picks
// either at random. The deadline's case asks Came first, and takes the outcome that came:
// a program that ended in time is not killed, nor reported as late.
func Came[T any](ch <-chan T) (T, bool) {
	select {
	case v := <-ch:
		return v, true
	default:
		var zero T
		return zero, false
	}
}

// By waits for a value from ch until deadline, and reports whether one came: one that
// came as the deadline passed, both found late, counts as in time (Came).
func By[T any](ch <-chan T, deadline time.Time) (T, bool) {
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case v := <-ch:
		return v, true
	case <-t.C:
		return Came(ch)
	}
}
