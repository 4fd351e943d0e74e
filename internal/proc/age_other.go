//go:build !linux

package proc

import "time"

// Age cannot tell how long ago a process started here: it reports false.
func Age(int) (time.Duration, bool) { return 0, false }
