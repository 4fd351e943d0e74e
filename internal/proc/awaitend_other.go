//go:build !linux

package proc

import "errors"

// AwaitEnd cannot wait for a child's end without reaping it here: it returns an error at
// once, and the caller reaps the child to learn of its end.
func AwaitEnd(pid int) error {
	return errors.New("waiting for a child's end without reaping it is not supported here")
}
