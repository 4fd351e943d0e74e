//go:build !linux

package proc

// HoldsPOSIXLock cannot tell here: ok is false.
func HoldsPOSIXLock(int) (holds, ok bool) { return false, false }

// POSIXLockHolders cannot tell here: ok is false.
func POSIXLockHolders() (pids []int, ok bool) { return nil, false }
