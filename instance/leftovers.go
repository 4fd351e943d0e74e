package instance

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/signal"
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

// Leftovers lists what the last run of the instance at p, whose record is rec, left
// running, once the daemon the record names (by pid and start time) is gone: the live
// processes proven to be the run's, and the members of the sessions proven to be its own
// (see leftoverProofs). There are none without an invocation (its daemon stopped what it
// started, or stop has killed what it left), nor while that daemon lives or cannot be
// proved gone (the run is not over), nor for a record that is not the instance's own, nor
// for a record of an earlier boot: nothing of a run survives a reboot, and what has its
// numbers now is another's.
func Leftovers(p Paths, rec Record) []int {
	if !rec.leftSome(p) {
		return nil
	}
	return slices.Sorted(maps.Keys(leftoverProofs(rec)))
}

// leftoverProofs finds what rec's run, which is over, left running: each pid with what
// proves it the run's still, to be checked again through a handle once opened (so that a
// reused pid is never taken for it). A process is the run's when it is proven so itself:
// it carries the run's mark (InvocationEnv), or it is the program's main process the
// record names by pid and start time (Record.ChildPID, Record.ChildStartTime), which
// finds a program that cleared or wrote over its environment (nginx's master). A process
// that is not is the run's when it is in a session proven to be the run's own (see
// runSessions): what cleared its environment there (nginx's workers, env -i) is found too.
// A session is never taken for the run's by its number alone: once its last member is
// gone, that number can be any new process's (pids wrap around), the leader of a session
// that has nothing to do with the run.
//
// The record's daemon itself is never among them: runOver takes its run for over once it
// holds no lock, and a SIGKILLed daemon lets its lock go a moment before it is a zombie,
// still carrying the mark, in the run's session; it is ending, not left running.
func leftoverProofs(rec Record) map[int]func() bool {
	proofs := map[int]func() bool{}
	proven := provenProcesses(rec)
	for _, w := range proven {
		proofs[w.pid] = w.alive
	}
	for _, s := range runSessions(rec, proven) {
		for _, pid := range s.members() {
			if proofs[pid] == nil {
				proofs[pid] = func() bool { return inSession(pid, s.sid) && s.proven() }
			}
		}
	}
	if st, err := proc.ReadStat(rec.PID); err == nil && st.StartTime == rec.StartTime {
		delete(proofs, rec.PID)
	}
	return proofs
}

// provenProc is a live process proven to be a run's, named by its pid and its start
// time, which together name one process for the whole boot: it stays the run's whatever
// it does since (an exec that clears its environment included).
type provenProc struct {
	pid   int
	start uint64 // its start time, read before it was proven the run's
	sid   int    // its session, read then
}

// alive reports whether w is still that process, alive (not a zombie).
func (w provenProc) alive() bool {
	st, err := proc.ReadStat(w.pid)
	return err == nil && !st.Zombie() && st.StartTime == w.start
}

// in reports whether w is still alive, and in session sid.
func (w provenProc) in(sid int) bool {
	st, err := proc.ReadStat(w.pid)
	return err == nil && !st.Zombie() && st.StartTime == w.start && st.SID == sid
}

// provenProcesses lists the live processes proven to be rec's run's: those that carry its
// mark, and the program's main process it names by pid and start time. Each one's start
// time and session are read before its proof, so that a process with the same pid and
// start time later is the one proven.
func provenProcesses(rec Record) []provenProc {
	mark := InvocationEnv + "=" + rec.Invocation
	var proven []provenProc
	for _, pid := range proc.WithEnv(mark) {
		st, err := proc.ReadStat(pid)
		if err != nil || st.Zombie() || !proc.HasEnv(pid, mark) {
			continue // gone since, or another process that has its pid now
		}
		proven = append(proven, provenProc{pid, st.StartTime, st.SID})
	}
	if pid := rec.ChildPID; pid > 1 && rec.ChildStartTime != 0 && !slices.ContainsFunc(proven, func(w provenProc) bool { return w.pid == pid }) {
		st, err := proc.ReadStat(pid)
		if err == nil && !st.Zombie() && !st.KernelThread() && st.StartTime == rec.ChildStartTime {
			proven = append(proven, provenProc{pid, st.StartTime, st.SID})
		}
	}
	return proven
}

// testHookSessionScanned, when set by a test, runs when members has listed a session's
// processes, before it checks the session's proof again.
var testHookSessionScanned func()

// runSession is a session proven to be a run's own: proven reports whether it still is.
type runSession struct {
	sid    int
	proven func() bool
}

// members lists the live processes of s, if it is proven the run's both before and after
// the scan: then its number was not given to another session meanwhile, and each process
// the scan found in it was in the run's.
func (s runSession) members() []int {
	if !s.proven() {
		return nil
	}
	members := proc.InSession(s.sid)
	if testHookSessionScanned != nil {
		testHookSessionScanned()
	}
	if !s.proven() {
		return nil
	}
	return members
}

// runSessions lists the sessions proven to be rec's run's own. A session's id is the pid
// of the process that made it (setsid), which no new process is given while anything is
// in it, so a session is the one it was as long as some process stays in it; and a process
// can join no session but by being forked in it. So a session is proven the run's while
//   - it is the one the record keeps as the run's (Record.Session, the strategy's), and the
//     daemon that the record names, its leader, is still in it as a zombie (unreaped); or
//   - it is that one, and a process in it started while the daemon was alive (before
//     Record.AliveTicks: see earlyMember), so it has been in the run's session since; or
//   - it is that one, and a process proven the run's is in it: it has been there since the
//     run, so the session never emptied; or
//   - a process proven the run's leads it: it made it, and everything in it descends from
//     it (a program that called setsid itself, nginx's master, whose workers are there).
//
// A proven process in any other session does not prove that one the run's: it may be the
// session the daemon shared with its caller (nohup, the foreground: a login shell's).
func runSessions(rec Record, proven []provenProc) []runSession {
	var sessions []runSession
	// A session proven more than one way stays proven while any of them holds: its leader,
	// a zombie, may be reaped as its members are listed, while a marked process in it still
	// proves it, and each way proves it the run's since the run.
	add := func(sid int, still func() bool) {
		if i := slices.IndexFunc(sessions, func(s runSession) bool { return s.sid == sid }); i >= 0 {
			was := sessions[i].proven
			sessions[i].proven = func() bool { return was() || still() }
			return
		}
		sessions = append(sessions, runSession{sid, still})
	}
	if rec.Session > 1 && daemonLeads(rec) {
		add(rec.Session, func() bool { return daemonLeads(rec) })
	}
	if w, ok := earlyMember(rec); ok {
		add(rec.Session, func() bool { return w.in(rec.Session) })
	}
	for _, w := range proven {
		if w.sid > 1 && (w.sid == rec.Session || w.sid == w.pid) {
			sid := w.sid
			add(sid, func() bool { return w.in(sid) })
		}
	}
	return sessions
}

// earlyMember finds a live process of the session rec records that started while the
// record's daemon was alive, and after it: before the daemon last wrote its record
// (Record.AliveTicks), when the session with that number was the run's. It has been in
// that session since (a process leaves its session only for one it makes, numbered by its
// own pid), so the session never emptied, and its number was never given to another: the
// workers of a program whose main process died with the supervisor (nginx's, whose
// environment holds their process title, not the mark) are found so.
func earlyMember(rec Record) (provenProc, bool) {
	if rec.Session < 2 || rec.AliveTicks == 0 || rec.StartTime == 0 {
		return provenProc{}, false
	}
	for _, pid := range proc.InSession(rec.Session) {
		st, err := proc.ReadStat(pid)
		if err == nil && !st.Zombie() && st.SID == rec.Session && st.StartTime >= rec.StartTime && st.StartTime < rec.AliveTicks {
			return provenProc{pid, st.StartTime, st.SID}, true
		}
	}
	return provenProc{}, false
}

// daemonLeads reports whether the session rec records is led still by the record's daemon,
// a zombie not yet reaped: its id cannot have been given to another session.
func daemonLeads(rec Record) bool {
	st, err := proc.ReadStat(rec.Session)
	return err == nil && st.Zombie() && rec.Session == rec.PID && st.StartTime == rec.StartTime
}

// inSession reports whether pid is a live process of session sid.
func inSession(pid, sid int) bool {
	st, err := proc.ReadStat(pid)
	return err == nil && !st.Zombie() && st.SID == sid
}

// leftSome reports whether r is the instance's record of a run of this boot that is over,
// and may have left processes running.
func (r Record) leftSome(p Paths) bool {
	return r.Invocation != "" && r.isFor(p) && r.sameBoot() && runOver(r)
}

// leftBeforeBoot reports whether r is the instance's record of a run before the last boot
// that kept its invocation: it left nothing running now, and nothing is to be looked for.
func (r Record) leftBeforeBoot(p Paths) bool {
	return r.Invocation != "" && r.isFor(p) && !r.sameBoot()
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

// killLeftovers SIGKILLs what the last run of the instance at p left running (see
// Leftovers), when its record keeps an invocation: each process through a handle checked,
// once opened, to be proven the run's still, so that a reused pid is never hit (see
// killFrozen). It then looks again, and clears the record's invocation: nothing is left to
// find. A record of a run before the last boot has its invocation cleared at once. It
// returns the pids it killed, and, apart from its error, why the record could not be
// cleared (a full disk): then nothing is left running, and the next stop looks again and
// finds nothing. The caller must know that no daemon of the instance runs: a new run has a
// new invocation, so a daemon started meanwhile is never touched.
func killLeftovers(p Paths) (killed []int, notCleared, err error) {
	rec, err := ReadRecord(p.Record)
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR), // none (a file where its directory was)
		errors.Is(err, ErrBadRecord), errors.Is(err, ErrUntrusted),
		errors.Is(err, fs.ErrPermission): // another user's (root's, 0600): not this user's to act on, as ErrUntrusted
		return nil, nil, nil
	case err != nil:
		return nil, nil, fmt.Errorf("kill what the last run left: %w", err)
	case rec.leftBeforeBoot(p):
		return nil, clearInvocation(p.Record, rec.PID, rec.Invocation), nil
	case !rec.leftSome(p):
		return nil, nil, nil
	}
	killed = killFrozen(func() map[int]func() bool { return leftoverProofs(rec) })
	if left := Leftovers(p, rec); len(left) > 0 {
		return killed, nil, fmt.Errorf("kill what the last run left: pids %v %w after SIGKILL", left, ErrStillRunning)
	}
	return killed, clearInvocation(p.Record, rec.PID, rec.Invocation), nil
}

// killFrozen SIGKILLs the processes find lists, each through a handle checked, once
// opened, with the proof find gives for it, so that a reused pid is never hit. It stops
// each first (SIGSTOP), and looks again while it finds more (up to five times): a stopped
// process forks nothing it would miss, and a process whose presence proves a session the
// run's (see runSessions) stays until every member found by it is stopped too. Then it
// kills them all, and waits up to killWait for them to be gone. It returns the pids it
// killed, sorted.
func killFrozen(find func() map[int]func() bool) []int {
	defer holdInterrupts()()
	held := map[int]*proc.Process{}
	for range 5 {
		found := 0
		for pid, proven := range find() {
			if held[pid] != nil {
				continue
			}
			h, err := proc.Open(pid)
			if err != nil {
				continue // gone since
			}
			if proven() && h.Signal(syscall.SIGSTOP) == nil {
				held[pid] = h
				found++
			} else {
				_ = h.Close()
			}
		}
		if found == 0 {
			break
		}
	}
	var killed []int
	for pid, h := range held {
		if h.Signal(syscall.SIGKILL) == nil {
			killed = append(killed, pid)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), killWait)
	defer cancel()
	for _, h := range held {
		_ = h.Wait(ctx)
		_ = h.Close()
	}
	slices.Sort(killed)
	return killed
}

// holdInterrupts holds off SIGINT, SIGTERM, SIGHUP and SIGQUIT (those not ignored) until
// the function it returns is called: a stop interrupted between the SIGSTOPs of killFrozen
// and its SIGKILLs (Ctrl-C, timeout(1), a unit's stop timeout) would leave what it stopped
// stopped, holding its port and answering nothing. What it holds off is a moment
// (killFrozen is bounded by killWait), and then lost: the stop it would have interrupted
// ends right after. A program that catches these signals itself (signal.Notify) gets them
// as it would, once, and one that ignores them goes on ignoring them.
func holdInterrupts() (release func()) {
	var held []os.Signal
	for _, sig := range []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT} {
		if !signal.Ignored(sig) {
			held = append(held, sig)
		}
	}
	if len(held) == 0 {
		return func() {} // Notify of none would catch every signal
	}
	c := make(chan os.Signal, 1)
	signal.Notify(c, held...)
	return func() { signal.Stop(c) }
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

// clearInvocation empties the invocation of the record at path, and the program's main
// process it names, if it is still pid's run's.
func clearInvocation(path string, pid int, invocation string) error {
	return updateRecord(path, func(r *Record, err error) (bool, error) {
		if err != nil || r.PID != pid || r.Invocation != invocation {
			return false, nil // gone, or a new run's: not ours to change
		}
		r.Invocation, r.ChildPID, r.ChildStartTime = "", 0, 0
		return true, nil
	})
}
