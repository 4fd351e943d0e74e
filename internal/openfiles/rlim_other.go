//go:build !freebsd

package openfiles

// rlim is n as this system's Rlimit fields take it.
func rlim(n uint64) uint64 { return n }
