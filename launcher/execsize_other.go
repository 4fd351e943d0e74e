//go:build !linux

package launcher

// maxArgString is 0: one string has no bound of its own apart from the total's.
func maxArgString() int { return 0 }

// maxArgTotal is 0, unknown here: the exec's own E2BIG says it, and Launch explains it.
func maxArgTotal() int { return 0 }
