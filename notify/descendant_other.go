//go:build !linux

package notify

// Descendant returns an Accept function that accepts nothing: this system has no
// /proc/PID/stat to walk, and no notify socket either (see Listen).
func Descendant(root int) func(pid int) bool {
	return func(int) bool { return false }
}
