//go:build !linux

package proc

import (
	"syscall"
	"time"
)

// EnterSubreaper does nothing here: there are no child subreapers.
func EnterSubreaper() (leave func(), err error) { return func() {}, nil }

// Reap cannot reap a process that is not this process's child here; a child is reaped by
// whoever started it.
func Reap(int, time.Duration) (syscall.WaitStatus, bool) { return 0, false }

// WaitGroupGone cannot list a process group's members here.
func WaitGroupGone(int, time.Duration) []int { return nil }

// ChildGroups cannot list processes here.
func ChildGroups(int) []int { return nil }

// Children cannot list processes here.
func Children(int) []int { return nil }

// Childless cannot tell here.
func Childless(except ...int) bool { return false }

// InSession lists nothing here: without /proc a session's members cannot be listed.
func InSession(sid int) []int { return nil }
