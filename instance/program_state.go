package instance

import (
	"errors"
	"io/fs"

	"github.com/daemonkit/daemonkit/internal/proc"
)

// ProgramState is how the supervised program of a running daemon is, as the kernel tells
// it: what status and list both say of it, so that they never disagree.
type ProgramState struct {
	// PID is the program's pid (its record's, in this pid namespace), 0 when it has none.
	PID int
	// Parent is its parent's pid: the daemon's, or, for a main process the program named
	// (MAINPID=), the wrapper's that started it.
	Parent int
	// Stopped says it is stopped by a signal (SIGSTOP, SIGTSTP): it serves nothing until
	// SIGCONT, though its supervisor runs. A tracer's stop (strace -p) is not one.
	Stopped bool
	// Ended says it has ended and its supervisor has not reaped it yet (a zombie: its
	// supervisor is stopped by a signal, say).
	Ended bool
	// Gone says the process the record names has ended and is gone (PID is 0 then), while
	// its daemon runs: a main process the program named (MAINPID=) whose wrapper runs on,
	// or an end its supervisor has not taken note of yet. Told by the pid and the start
	// time the record keeps: a process given its pid since is not it.
	Gone bool
}

// Program is the state of the running daemon's supervised program, read from /proc once:
// the zero ProgramState when the daemon does not run, supervises none, or the pid its
// record names is no longer a process below it (Gone, then, if that process has ended and
// the daemon is not stopping, whose stop ends its program on purpose).
func (s Status) Program() ProgramState {
	daemon := s.PID()
	if s.Record == nil || daemon < 2 || s.Record.ChildPID < 2 {
		return ProgramState{}
	}
	pid := s.Record.ChildPID
	st, err := proc.ReadStat(pid)
	if err != nil || st.PPID != daemon && !proc.DescendsFrom(pid, daemon) ||
		s.Record.ChildStartTime != 0 && st.StartTime != s.Record.ChildStartTime {
		// Gone only where the daemon itself can be read (else /proc says nothing: hidepid),
		// and the process is not there, or another is under its pid: one that is there but
		// not below the daemon (an orphan reparented past it) says nothing of its end.
		_, derr := proc.ReadStat(daemon)
		gone := derr == nil && s.Record.ChildStartTime != 0 && s.Record.State != StateStopping &&
			(errors.Is(err, fs.ErrNotExist) || err == nil && st.StartTime != s.Record.ChildStartTime)
		return ProgramState{Gone: gone}
	}
	return ProgramState{PID: pid, Parent: st.PPID, Stopped: st.Stopped(), Ended: st.Zombie()}
}
