//go:build !linux

package proc

import "time"

// Age cannot tell how long ago a process started here: it reports false.
func Age(int) (time.Duration, bool) { return 0, false }

// Ticks cannot tell the time in a process's start time's terms here: 0.
func Ticks() uint64 { return 0 }

// Age cannot tell how long ago the process started here: it reports false.
func (Stat) Age() (time.Duration, bool) { return 0, false }
