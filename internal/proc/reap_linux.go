package proc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// subreaper counts the callers of EnterSubreaper in progress, which share the
// process-wide flag.
var subreaper struct {
	sync.Mutex
	users int
	set   bool // this package set the flag (it was not set before), so it clears it
}

// EnterSubreaper makes this process a child subreaper (PR_SET_CHILD_SUBREAPER) until the
// returned function is called, unless it already was one: an orphaned descendant is then
// reparented to this process, which can reap it and learn how it died. Concurrent callers
// share the flag; the last one out clears it, and only if this package set it. The error
// says the flag could not be read or set; leave is usable either way.
func EnterSubreaper() (leave func(), err error) {
	subreaper.Lock()
	defer subreaper.Unlock()
	if subreaper.users == 0 {
		var cur int32
		if err = unix.Prctl(unix.PR_GET_CHILD_SUBREAPER, uintptr(unsafe.Pointer(&cur)), 0, 0, 0); err != nil {
			err = fmt.Errorf("read the subreaper flag: %w", err)
		} else if cur == 0 {
			if err = unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
				err = fmt.Errorf("become a subreaper: %w", err)
			} else {
				subreaper.set = true
			}
		}
	}
	subreaper.users++
	var once sync.Once
	return func() {
		once.Do(func() {
			subreaper.Lock()
			defer subreaper.Unlock()
			subreaper.users--
			if subreaper.users == 0 && subreaper.set {
				_ = unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0) // nothing to do if it fails
				subreaper.set = false
			}
		})
	}, err
}

// Reap waits for pid, a child of this process (by birth, or adopted as a subreaper), for at
// most within, and returns its wait status; false if it is not this process's child or is
// still running at the end.
func Reap(pid int, within time.Duration) (syscall.WaitStatus, bool) {
	type result struct {
		ws syscall.WaitStatus
		ok bool
	}
	ch := make(chan result, 1)
	go func() {
		var ws syscall.WaitStatus
		for {
			got, err := syscall.Wait4(pid, &ws, 0, nil)
			if errors.Is(err, syscall.EINTR) {
				continue
			}
			ch <- result{ws, err == nil && got == pid}
			return
		}
	}()
	select {
	case r := <-ch:
		return r.ws, r.ok
	case <-time.After(within):
		return 0, false
	}
}

// WaitGroupGone waits, at most within in all, until every process of process group pgid is
// gone (a zombie counts), and returns the pids it found in the group, for reaping.
func WaitGroupGone(pgid int, within time.Duration) []int {
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	var pids []int
	for _, pid := range allPIDs() {
		if st, err := ReadStat(pid); err != nil || st.PGRP != pgid {
			continue
		}
		pids = append(pids, pid)
		h, err := Open(pid)
		if err != nil {
			continue // gone, or a zombie
		}
		// The handle is on whoever has the pid now: wait only if that is still a member.
		if st, err := ReadStat(pid); err == nil && st.PGRP == pgid {
			_ = h.Wait(ctx)
		}
		_ = h.Close()
	}
	return pids
}

// ChildGroups lists the process groups that children of pid lead (a child whose pgid is
// its own pid). While pid lives and has not reaped them, those group ids name nothing
// else.
func ChildGroups(pid int) []int {
	var groups []int
	for _, child := range allPIDs() {
		if st, err := ReadStat(child); err == nil && st.PPID == pid && st.PGRP == child {
			groups = append(groups, child)
		}
	}
	return groups
}

// Children lists the children of pid, as they are now: a child's pid may name another
// process once pid has reaped it, so check what is read of it against its parent again.
func Children(pid int) []int {
	var children []int
	for _, child := range allPIDs() {
		if st, err := ReadStat(child); err == nil && st.PPID == pid {
			children = append(children, child)
		}
	}
	return children
}

// Childless reports that this process is a child subreaper with no child at all, live or
// zombie, in any of its threads (but those of except): it then has no descendant either, since an orphaned one
// would have been reparented to it. False whenever that cannot be told (no subreaper flag,
// a kernel without /proc/PID/task/TID/children), so a caller that skips work on true skips
// it only when it is sure. The pids of except do not count as children.
func Childless(except ...int) bool {
	var flag int32
	if err := unix.Prctl(unix.PR_GET_CHILD_SUBREAPER, uintptr(unsafe.Pointer(&flag)), 0, 0, 0); err != nil || flag == 0 {
		return false
	}
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil || len(tasks) == 0 {
		return false
	}
	for _, t := range tasks {
		b, err := os.ReadFile("/proc/self/task/" + t.Name() + "/children")
		if err != nil {
			return false
		}
		for _, f := range bytes.Fields(b) {
			if pid, err := strconv.Atoi(string(f)); err != nil || !slices.Contains(except, pid) {
				return false
			}
		}
	}
	return true
}

// InSession lists the live processes (not zombies, not this one) of session sid.
func InSession(sid int) []int {
	return others(func(pid int) bool {
		st, err := ReadStat(pid)
		return err == nil && !st.Zombie() && st.SID == sid
	})
}
