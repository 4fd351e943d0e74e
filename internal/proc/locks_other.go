//go:build !linux

package proc

// HoldsPOSIXLock cannot tell here: ok is false.
func HoldsPOSIXLock(int) (holds, ok bool) { return false, false }

// POSIXLockHolders cannot tell here: ok is false.
func POSIXLockHolders() (held map[int]bool, ok bool) { return nil, false }
