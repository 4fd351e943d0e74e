package proc

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
)

// Stat is what /proc/PID/stat says of a process, as far as daemonkit uses it.
type Stat struct {
	State     byte   // R, S, D, T, t, Z, X, ...
	PPID      int    // parent
	PGRP      int    // process group
	SID       int    // session
	TTY       int    // tty_nr: the controlling terminal's device number, 0 if none
	StartTime uint64 // when it started, in clock ticks after boot: with the pid, names one process for ever
	Threads   int    // num_threads: its threads, a zombie leader's included
	Flags     uint64 // the kernel's PF_* flags
	// EnvStart and EnvEnd are where its environment begins and ends in its memory: 0 while
	// an exec has replaced its memory and not yet laid out the new one, in a kernel thread,
	// and to a reader who may not trace it (another user's process). Equal, and not 0, for
	// an environment laid out empty, and for a moment while one is being laid out.
	EnvStart, EnvEnd uint64
	// ExitCode is exit_code (field 52, since Linux 3.5): once the process has exited, its
	// wait status as waitpid(2) gives it, readable while it is a zombie (its parent has not
	// reaped it yet); 0 while it runs, where the kernel does not say, and to a reader who
	// may not trace it (see ZombieExitStatus).
	ExitCode int
}

// pfKthread is PF_KTHREAD, the flag of a kernel thread.
const pfKthread = 0x00200000

// KernelThread reports whether it is a kernel thread, which has no memory, arguments or
// environment of its own.
func (s Stat) KernelThread() bool { return s.Flags&pfKthread != 0 }

// Zombie reports whether the process has exited: a zombie (Z) with no thread left but its
// leader, or one being torn down (X, x). A leader that exited while other threads run
// (pthread_exit in main, or a killed process whose last threads are still exiting) reads Z
// too, but its process runs, and holds its descriptors and locks: it is no zombie.
func (s Stat) Zombie() bool {
	return s.State == 'Z' && s.Threads <= 1 || s.State == 'X' || s.State == 'x'
}

// LeaderExited reports whether the process's leader thread has exited while other threads
// still run: its own /proc files (environ among them) then read empty, its threads' do not.
func (s Stat) LeaderExited() bool { return s.State == 'Z' && s.Threads > 1 }

// Stopped reports whether the process is stopped by a signal (T: SIGSTOP, SIGTSTP,
// SIGTTIN, SIGTTOU), so that it runs again only on SIGCONT. A process held by a tracer
// (t: ptrace, as strace -p, gdb, rr or proot do) is not: strace holds it a moment at each
// system call, a debugger for as long as it likes, and SIGCONT does not let it go (Traced).
func (s Stat) Stopped() bool { return s.State == 'T' }

// Traced reports whether the process is held in a ptrace stop by its tracer (t): it runs
// again when its tracer lets it (TracerPID names the tracer), not on SIGCONT.
func (s Stat) Traced() bool { return s.State == 't' }

// ReadStat reads /proc/PID/stat. The error wraps fs.ErrNotExist when there is no such
// process (a zombie still has one).
func ReadStat(pid int) (Stat, error) {
	path := "/proc/" + strconv.Itoa(pid) + "/stat"
	b, err := os.ReadFile(path)
	if err != nil {
		return Stat{}, err
	}
	st, err := ParseStat(b)
	if err != nil {
		return Stat{}, fmt.Errorf("read %s: %w", path, err)
	}
	return st, nil
}

// ParseStat parses one /proc/PID/stat line. The command name in parentheses may hold
// spaces and parentheses itself, so the fields are those after its last ')'.
func ParseStat(b []byte) (Stat, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 >= len(b) || b[i+1] != ' ' {
		return Stat{}, fmt.Errorf("malformed stat line %q", b)
	}
	f := bytes.Fields(b[i+1:])
	// f[0] is field 3 (state); field n is f[n-3]; starttime is field 22.
	if len(f) < 20 || len(f[0]) != 1 {
		return Stat{}, fmt.Errorf("malformed stat line %q", b)
	}
	st := Stat{State: f[0][0]}
	var err error
	for k, dst := range []*int{&st.PPID, &st.PGRP, &st.SID, &st.TTY} {
		if *dst, err = strconv.Atoi(string(f[k+1])); err != nil {
			return Stat{}, fmt.Errorf("malformed stat line %q: %w", b, err)
		}
	}
	if st.Threads, err = strconv.Atoi(string(f[17])); err != nil {
		return Stat{}, fmt.Errorf("malformed stat line %q: %w", b, err)
	}
	if st.StartTime, err = strconv.ParseUint(string(f[19]), 10, 64); err != nil {
		return Stat{}, fmt.Errorf("malformed stat line %q: %w", b, err)
	}
	if st.Flags, err = strconv.ParseUint(string(f[6]), 10, 64); err != nil {
		return Stat{}, fmt.Errorf("malformed stat line %q: %w", b, err)
	}
	if len(f) > 48 { // env_start and env_end, fields 50 and 51, since Linux 3.5
		if st.EnvStart, err = strconv.ParseUint(string(f[47]), 10, 64); err != nil {
			return Stat{}, fmt.Errorf("malformed stat line %q: %w", b, err)
		}
		if st.EnvEnd, err = strconv.ParseUint(string(f[48]), 10, 64); err != nil {
			return Stat{}, fmt.Errorf("malformed stat line %q: %w", b, err)
		}
	}
	if len(f) > 49 { // exit_code, field 52, since Linux 3.5
		if st.ExitCode, err = strconv.Atoi(string(f[49])); err != nil {
			return Stat{}, fmt.Errorf("malformed stat line %q: %w", b, err)
		}
	}
	return st, nil
}

// allPIDs lists the processes in /proc now, in its order (none if it cannot be read): the
// one walk of /proc that every search of this package makes.
func allPIDs() []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	pids := make([]int, 0, len(entries))
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

// InKernelWait reports whether a thread of process pid is in uninterruptible sleep (D):
// waiting in the kernel, most often for a frozen or hung disk or an NFS server, where no
// signal, SIGKILL included, reaches it until the wait returns. False where it cannot tell.
func InKernelWait(pid int) bool {
	inD := false
	_ = eachTask(pid, func(st Stat) bool {
		inD = st.State == 'D'
		return !inD
	})
	return inD
}

// Halted reports whether no thread of process pid runs: each is stopped by a signal (T),
// held by its tracer (t), or has exited (Z, X, x), so that the process can neither reap a
// child nor fork until it is continued. A process stopped by SIGSTOP is halted once every
// one of its threads has taken the stop. The error, ErrCannotTell, says its threads could
// not be read at all (no /proc mounted, hidepid, or pid gone): false then says nothing.
func Halted(pid int) (bool, error) {
	n := 0
	all := eachTask(pid, func(st Stat) bool {
		n++
		switch st.State {
		case 'T', 't', 'Z', 'X', 'x':
			return true
		}
		return false
	})
	if !all && n == 0 {
		if _, err := os.Stat("/proc/" + strconv.Itoa(pid) + "/task"); err != nil {
			return false, fmt.Errorf("threads of pid %d: %w", pid, ErrCannotTell)
		}
	}
	return all && n > 0, nil
}

// eachTask calls f with the stat of each thread of process pid that it can read (a thread
// may exit as it is read), until f returns false, and reports whether f returned true for
// every one; false if the threads cannot be listed.
func eachTask(pid int, f func(Stat) bool) bool {
	dir := "/proc/" + strconv.Itoa(pid) + "/task"
	tasks, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, t := range tasks {
		b, err := os.ReadFile(dir + "/" + t.Name() + "/stat")
		if err != nil {
			continue
		}
		if st, err := ParseStat(b); err == nil && !f(st) {
			return false
		}
	}
	return true
}
