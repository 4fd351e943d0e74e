package openfiles

// rlim is n as this system's Rlimit fields take it.
func rlim(n uint64) int64 { return int64(n) }
