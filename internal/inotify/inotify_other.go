//go:build !linux

package inotify

import "errors"

// Event is Linux's (see the Linux build).
type Event struct {
	WD   int32
	Mask uint32
	Name []byte
}

// Instance is Linux's: New fails here, and the callers poll.
type Instance struct{}

// New fails here: inotify is Linux's.
func New() (*Instance, error) { return nil, errors.ErrUnsupported }
