//go:build !linux

package proc

// TasksOf cannot count a user's tasks here: ok is false.
func TasksOf(int) (n int, ok bool) { return 0, false }
