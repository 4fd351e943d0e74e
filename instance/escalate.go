package instance

import (
	"os"
	"strconv"
	"syscall"

	"github.com/daemonkit/daemonkit/internal/proc"
)

// killAround SIGKILLs what runs with the daemon pid, but not the daemon itself: the other
// members of its process group pgid, its children, and the groups its children lead (a
// supervised program and what stayed with it). Each is signalled through a handle checked,
// once opened, to belong there still, so a reused pid is never hit. It returns how many it
// signalled; 0 where /proc cannot be read.
//
// It is stop's first step past --timeout: a supervisor whose program is gone kills, before
// it exits, what that program left in other sessions, which only it can still find (they
// are its children now, as a child subreaper). A SIGKILL to the supervisor as well would
// hand them to init, running.
func killAround(pid, pgid int) int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	leaders := map[int]bool{}
	for _, g := range proc.ChildGroups(pid) {
		leaders[g] = true
	}
	around := func(other int) bool {
		st, err := proc.ReadStat(other)
		return err == nil && !st.Zombie() && (st.PGRP == pgid || st.PPID == pid || leaders[st.PGRP])
	}
	n := 0
	for _, e := range entries {
		other, err := strconv.Atoi(e.Name())
		if err != nil || other == pid || !around(other) {
			continue
		}
		h, err := proc.Open(other)
		if err != nil {
			continue // gone since
		}
		if around(other) && h.Signal(syscall.SIGKILL) == nil {
			n++
		}
		_ = h.Close()
	}
	return n
}
