//go:build !linux

package limits

import "errors"

// resources are none elsewhere: nothing is kept, and nothing applied.
var resources []resource

// Current is nothing off Linux.
func Current() []Limit { return nil }

func get(resource) (soft, hard uint64, err error) { return 0, 0, errors.ErrUnsupported }

func set(resource, uint64, uint64) error { return errors.ErrUnsupported }

func privileged() bool { return false }
