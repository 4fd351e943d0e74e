//go:build !linux

package openfiles

// Ceiling is the highest open-files limit any process may have here, and whether it is
// known: off Linux it is not told (the BSDs' kern.maxfilesperproc, say, is left to the
// kernel).
func Ceiling() (uint64, bool) { return 0, false }
