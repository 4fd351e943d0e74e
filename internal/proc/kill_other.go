//go:build !linux

package proc

import "context"

// KillBelow kills nothing here: without /proc the processes below root cannot be found.
func KillBelow(ctx context.Context, root, group int, spare ...int) (killed int, left []int) {
	return 0, nil
}

// KillGroup kills nothing here: without /proc the members of a group cannot be found.
func KillGroup(ctx context.Context, root, pgid int, keep func(pid int) bool, spare ...int) (killed int, left []int) {
	return 0, nil
}
