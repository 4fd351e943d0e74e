//go:build !linux

package proc

// HoldsPOSIXLock cannot tell here: ok is false.
func HoldsPOSIXLock(int) (holds, ok bool) { return false, false }

// DeletedLockHolder cannot tell here: 0.
func DeletedLockHolder(string) int { return 0 }

// HoldsDeletedLock cannot tell here: false.
func HoldsDeletedLock(int, string) bool { return false }

// DeletedLockHolders cannot tell here: nil.
func DeletedLockHolders(string) map[string]int { return nil }
