package instance

import (
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/daemonkit/daemonkit/internal/proc"
)

// killAround SIGKILLs what runs with the daemon pid, but not the daemon itself: the groups
// its children lead (a supervised program and what stayed with it), each with one kill of
// the group, whose id names nothing else while the daemon has not reaped its leader; then
// the other members of its process group pgid and its other children, each through a
// handle checked, once opened, to belong there still, so that a reused pid is never hit.
// It looks again while a round finds any (up to five rounds): what forked before it was
// killed is found the next time, and a killed process forks no more. It returns how many
// it signalled; 0 where /proc cannot be read.
//
// It is stop's first step past --timeout: a supervisor whose program is gone kills, before
// it exits, what that program left in other sessions, which only it can still find (they
// are its children now, as a child subreaper). A SIGKILL to the supervisor as well would
// hand them to init, running.
func killAround(pid, pgid int) int {
	n := 0
	for _, g := range proc.ChildGroups(pid) {
		if unix.Kill(-g, unix.SIGKILL) == nil {
			n++
		}
	}
	for range 5 {
		round := killAroundOnce(pid, pgid)
		if round == 0 {
			break
		}
		n += round
	}
	return n
}

// killAroundOnce is one round of killAround's scan of /proc.
func killAroundOnce(pid, pgid int) int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	around := func(other int) bool {
		st, err := proc.ReadStat(other)
		return err == nil && !st.Zombie() && (st.PGRP == pgid || st.PPID == pid)
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
