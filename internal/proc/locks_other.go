//go:build !linux

package proc

// HoldsPOSIXLock cannot tell here: ok is false.
func HoldsPOSIXLock(int) (holds, ok bool) { return false, false }
