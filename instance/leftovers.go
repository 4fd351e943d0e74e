package instance

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"syscall"

	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/daemonkit/daemonkit/internal/random"
)

// InvocationEnv is the environment variable that marks every process of one run of an
// instance, as systemd's $INVOCATION_ID does: start puts it in the daemon's environment,
// with a value new for each run that the record keeps (Record.Invocation), and every
// descendant that keeps its environment inherits it, wherever it moves to (another process
// group or session, another parent). When a run ends without cleaning up (its daemon
// killed with SIGKILL, which takes the supervised program along but not what that program
// started), it finds what the run left running.
const InvocationEnv = "DAEMONKIT_INVOCATION_ID"

// NewInvocation returns a fresh value for InvocationEnv: 128 random bits, in hex.
func NewInvocation() (string, error) {
	var b [16]byte
	if err := random.Read(b[:]); err != nil {
		return "", fmt.Errorf("make an invocation id: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// Leftovers lists the live processes that carry the invocation of rec, the record of the
// instance at p, or are still in the session it records as the run's own (Record.Session):
// what its last run left running, once the daemon the record names (by pid and start
// time) is gone. There are none without an invocation (its daemon stopped what it started,
// or stop has killed what it left), nor while that daemon lives or cannot be proved gone
// (the run is not over), nor for a record that is not the instance's own.
func Leftovers(p Paths, rec Record) []int {
	if !rec.leftSome(p) {
		return nil
	}
	left := append(proc.WithEnv(InvocationEnv+"="+rec.Invocation), sessionMembers(rec)...)
	slices.Sort(left)
	return slices.Compact(left)
}

// sessionMembers lists the live processes in the session rec records as its run's own,
// which its daemon, gone, no longer leads: what cleared or wrote over its environment is
// found there too. A session's id is its leader's pid, which no new process can be given
// while a member lives; so a process that has that pid now, and is not the record's
// daemon (a zombie, unreaped), shows the session emptied once and its id reused: then
// nothing is listed. It looks for one before and after the scan.
func sessionMembers(rec Record) []int {
	if rec.Session < 2 || !sessionUnclaimed(rec) {
		return nil
	}
	members := proc.InSession(rec.Session)
	if !sessionUnclaimed(rec) {
		return nil
	}
	return members
}

// sessionUnclaimed reports whether no process but the record's own daemon, a zombie, has
// the pid that is the id of the session rec records.
func sessionUnclaimed(rec Record) bool {
	st, err := proc.ReadStat(rec.Session)
	if err != nil {
		return true // no process has it
	}
	return st.Zombie() && rec.Session == rec.PID && st.StartTime == rec.StartTime
}

// leftSome reports whether r is the instance's record of a run that is over, and may have
// left processes running.
func (r Record) leftSome(p Paths) bool {
	return r.Invocation != "" && r.isFor(p) && runOver(r)
}

// runOver reports whether the daemon rec names is gone: it ran before the last boot, or no
// process has its pid, or the one that has it started at another time, or is a zombie, or
// is exiting (it holds no lock any more: see provenByRecord).
func runOver(rec Record) bool {
	if rec.PID < 2 || rec.StartTime == 0 {
		return false // nothing proves which process it was
	}
	if !rec.sameBoot() {
		return true
	}
	st, err := proc.ReadStat(rec.PID)
	if err != nil || st.Zombie() || st.StartTime != rec.StartTime {
		return true
	}
	holds, ok := proc.HoldsPOSIXLock(rec.PID)
	return ok && !holds
}

// killLeftovers SIGKILLs what the last run of the instance at p left running, when its
// record keeps an invocation: each process through a handle checked, once opened, to carry
// the invocation still, so that a reused pid is never hit. It waits up to killWait for
// them to be gone, looks again (a process may fork while it is killed), then clears the
// record's invocation: nothing is left to find. It returns the pids it killed, and, apart
// from its error, why the record could not be cleared (a full disk): then nothing is left
// running, and the next stop looks again and finds nothing. The caller must know that no
// daemon of the instance runs: a new run has a new invocation, so a daemon started
// meanwhile is never touched.
func killLeftovers(p Paths) (killed []int, notCleared, err error) {
	rec, err := ReadRecord(p.Record)
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, ErrBadRecord), errors.Is(err, ErrUntrusted):
		return nil, nil, nil
	case err != nil:
		return nil, nil, fmt.Errorf("kill what the last run left: %w", err)
	case !rec.leftSome(p):
		return nil, nil, nil
	}
	killed = append(KillInvocation(rec.Invocation), killSession(rec)...)
	slices.Sort(killed)
	killed = slices.Compact(killed)
	if left := Leftovers(p, rec); len(left) > 0 {
		return killed, nil, fmt.Errorf("kill what the last run left: pids %v %w after SIGKILL", left, ErrStillRunning)
	}
	return killed, clearInvocation(p.Record, rec.PID, rec.Invocation), nil
}

// killSession SIGKILLs what is left in the session rec records as its run's own (see
// sessionMembers), each through a handle checked, once opened, to be in it still: while it
// is, the session's id cannot have been reused. It returns the pids it killed (see
// killRounds).
func killSession(rec Record) []int {
	inSession := func(pid int) bool {
		st, err := proc.ReadStat(pid)
		return err == nil && !st.Zombie() && st.SID == rec.Session
	}
	return killRounds(func() []int { return sessionMembers(rec) }, inSession)
}

// KillInvocation SIGKILLs every live process that carries the invocation (a run's value of
// InvocationEnv), as stop does with what a run left, looking again while any is left (up
// to five times), and returns the pids it killed. It is for a run that never got as far
// as its record, such as a start that failed: the caller must know its daemon is gone.
func KillInvocation(invocation string) []int {
	if invocation == "" {
		return nil
	}
	return KillMarked(InvocationEnv+"="+invocation, nil)
}

// KillMarked SIGKILLs every live process whose environment holds kv and of which also (if
// not nil) holds, and waits for each to be gone, looking again while any was found (up to
// five times: a process may fork while it is killed). Each is signalled through a handle
// checked again, kv and also, once opened, so that a reused pid is never hit. It returns
// the pids it killed.
func KillMarked(kv string, also func(pid int) bool) []int {
	marked := func(pid int) bool { return proc.HasEnv(pid, kv) && (also == nil || also(pid)) }
	return killRounds(func() []int { return proc.WithEnv(kv) }, marked)
}

// killRounds SIGKILLs the processes list names for which still holds, checked on each
// through a handle once opened, so that a reused pid is never hit;
// waits up to killWait for them to be gone, and looks again while any was found (up to
// five times: a process may fork while it is killed). It returns the pids it killed,
// sorted.
func killRounds(list func() []int, still func(pid int) bool) []int {
	var killed []int
	for range 5 {
		var handles []*proc.Process
		for _, pid := range list() {
			h, err := proc.Open(pid)
			if err != nil {
				continue // gone since
			}
			if still(pid) && h.Signal(syscall.SIGKILL) == nil {
				handles = append(handles, h)
			} else {
				_ = h.Close()
			}
		}
		if len(handles) == 0 {
			break
		}
		ctx, cancel := context.WithTimeout(context.Background(), killWait)
		for _, h := range handles {
			_ = h.Wait(ctx)
			killed = append(killed, h.PID())
			_ = h.Close()
		}
		cancel()
	}
	slices.Sort(killed)
	return slices.Compact(killed)
}

// clearInvocation empties the invocation of the record at path if it is still pid's run's.
func clearInvocation(path string, pid int, invocation string) error {
	r, err := ReadRecord(path)
	if err != nil || r.PID != pid || r.Invocation != invocation {
		return nil // gone, or a new run's: not ours to change
	}
	r.Invocation = ""
	return WriteRecord(path, r)
}
