package instance

import "github.com/daemonkit/daemonkit/internal/proc"

// ProgramState is how the supervised program of a running daemon is, as the kernel tells
// it: what status and list both say of it, so that they never disagree.
type ProgramState struct {
	// PID is the program's pid (its record's, in this pid namespace), 0 when it has none.
	PID int
	// Stopped says it is stopped by a signal (SIGSTOP, SIGTSTP): it serves nothing until
	// SIGCONT, though its supervisor runs. A tracer's stop (strace -p) is not one.
	Stopped bool
	// Ended says it has ended and its supervisor has not reaped it yet (a zombie: its
	// supervisor is stopped by a signal, say).
	Ended bool
}

// Program is the state of the running daemon's supervised program, read from /proc once:
// the zero ProgramState when the daemon does not run, supervises none, or the pid its
// record names is no longer a process below it.
func (s Status) Program() ProgramState {
	daemon := s.PID()
	if s.Record == nil || daemon < 2 || s.Record.ChildPID < 2 {
		return ProgramState{}
	}
	pid := s.Record.ChildPID
	st, err := proc.ReadStat(pid)
	if err != nil || st.PPID != daemon && !proc.DescendsFrom(pid, daemon) {
		return ProgramState{}
	}
	return ProgramState{PID: pid, Stopped: st.Stopped(), Ended: st.Zombie()}
}
