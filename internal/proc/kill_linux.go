package proc

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"syscall"
)

// KillBelow SIGKILLs every process below root (whose chain of parents reaches root, in
// whatever session or process group it has put itself), every member of a process group
// one of those leads, and, if group > 0, every member of group; never root itself nor
// the caller, nor a process of spare or what it started. Each is signalled through a handle opened after it was found and checked
// again once opened, so that a pid reused meanwhile is never hit. After each round it
// waits until what it signalled is gone, so that their orphans are reparented (to root,
// when root is a child subreaper) by the next look, and looks again, since a process may
// fork while it is being killed, until a round finds nothing or ctx ends. It returns how
// many it signalled in all (less those of a last round cut short that are gone), and what
// of its last round was not gone when ctx ended first (nil once nothing is left).
//
// Only while root lives and has not reaped them do the groups its descendants lead name
// nothing else, and only while a member lives does group: call it with root alive.
func KillBelow(ctx context.Context, root, group int, spare ...int) (killed int, left []int) {
	return killRounds(ctx, killSet{root: root, group: group, spare: spare})
}

// KillGroup SIGKILLs every member of process group pgid that is below root, as KillBelow
// finds and kills them, and nothing else: not a process of spare nor what it started, nor
// a member of the group that is not below root, nor one that keep, if set, says to keep
// (asked once its handle is open). It is for what a group leader, a child of root that
// root has reaped, left in its group: with root a child subreaper, every process left in
// it is below root, and a process that took the leader's pid since and leads a group of
// that number (possible only once the group had no member left) is below root only if root
// started it or it descends from what root started; spare names those root still runs,
// whose groups are not to be touched. Nor does it kill anything while pgid names a process
// or a thread, even a zombie (checked again before each signal): the group of that number
// is then that one's, not the reaped leader's. It returns what KillBelow returns.
func KillGroup(ctx context.Context, root, pgid int, keep func(pid int) bool, spare ...int) (killed int, left []int) {
	if pgid <= 0 || groupEmpty(pgid) {
		return 0, nil // most often: a copy that left nothing behind costs no walk of /proc
	}
	return killRounds(ctx, killSet{root: root, group: pgid, spare: spare, onlyGroup: true, keep: keep})
}

// killSet is what a round of KillBelow or KillGroup kills: see them.
type killSet struct {
	root, group int
	spare       []int
	onlyGroup   bool               // KillGroup's: only members of group below root
	keep        func(pid int) bool // KillGroup's, if set: asked of each once opened
}

// killRounds kills set in rounds until a round finds nothing or ctx ends (see KillBelow).
func killRounds(ctx context.Context, set killSet) (killed int, left []int) {
	for {
		signalled, notGone := killBelowOnce(ctx, set)
		killed += signalled
		if signalled == 0 || ctx.Err() != nil {
			return killed, notGone
		}
	}
}

// killBelowOnce is one round of KillBelow: it signals what it finds, waits for those
// (until ctx ends), and returns how many it signalled and which of them are not gone.
func killBelowOnce(ctx context.Context, set killSet) (signalled int, left []int) {
	root, group, spare := set.root, set.group, set.spare
	if set.onlyGroup && pidTaken(group) {
		return 0, nil
	}
	self := os.Getpid()
	stats := map[int]Stat{}
	for _, pid := range allPIDs() {
		if pid == root || pid == self || slices.Contains(spare, pid) {
			continue
		}
		if st, err := ReadStat(pid); err == nil && !st.Zombie() {
			stats[pid] = st
		}
	}
	below := func(st Stat) bool {
		for range 256 { // deeper than any real tree; a loop in a racing read ends here
			if st.PPID == root {
				return true
			}
			var ok bool
			if st, ok = stats[st.PPID]; !ok {
				return false
			}
		}
		return false
	}
	leaders := map[int]bool{}
	for pid, st := range stats {
		if st.PGRP == pid && below(st) {
			leaders[pid] = true
		}
	}
	belongs := func(st Stat) bool {
		if set.onlyGroup {
			return st.PGRP == group && below(st)
		}
		return below(st) || leaders[st.PGRP] || (group > 0 && st.PGRP == group)
	}
	var dying []*Process
	for pid, st := range stats {
		if !belongs(st) {
			continue
		}
		h, err := Open(pid)
		if err != nil {
			continue // gone since
		}
		// Read again once opened: the pid may name another process by now, whose parent
		// is no longer in stats, where the one found had its own.
		// KillGroup's group is the reaped leader's only while its pid names no process.
		if st, err := ReadStat(pid); err == nil && !st.Zombie() && belongs(st) &&
			!(set.onlyGroup && pidTaken(group)) && (set.keep == nil || !set.keep(pid)) &&
			h.Signal(syscall.SIGKILL) == nil {
			dying = append(dying, h)
			continue
		}
		_ = h.Close()
	}
	for _, h := range dying {
		if h.Wait(ctx) != nil && h.Signal(0) == nil {
			left = append(left, h.PID())
		}
		_ = h.Close()
	}
	return len(dying), left
}

// groupEmpty reports whether process group pgid has no member: kill(2) with signal 0, which
// reaches no process, finds none (ESRCH). A group it finds may be a stranger's, of a
// number given again; it is for KillGroup's walk to tell.
func groupEmpty(pgid int) bool {
	return errors.Is(syscall.Kill(-pgid, 0), syscall.ESRCH)
}

// pidTaken reports whether pid names a process or a thread, even a zombie (or whether
// /proc cannot say). A group whose leader was reaped keeps its number while a member lives,
// so a process that holds the number since was given it once the group had no member left:
// a group of that number is that process's, or was, not the reaped leader's.
func pidTaken(pid int) bool {
	_, err := os.Lstat("/proc/" + strconv.Itoa(pid))
	return !errors.Is(err, fs.ErrNotExist)
}
