package supervisor

import (
	"bufio"
	"context"
	"io"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/internal/proc"
)

// groupKills are the ways the loop kills what an old or failed copy left in its process
// group once the copy itself may be reaped: a drain (an upgrade's old copy) and killCopy
// (a new copy that failed to get ready, with sockets). Each is given a copy whose end the
// reaper delivered already, as the loop finds it.
// groupKill is a way the supervisor kills a copy's group: by name, and how.
type groupKill struct {
	name string
	kill func(r *run, p *program)
}

var groupKills = []groupKill{
	{"drain", func(r *run, p *program) {
		r.drained = make(chan *program, 1)
		r.draining.Add(1)
		r.drain(p, time.Minute, func(time.Duration, bool, syscall.WaitStatus) {})
	}},
	{"killCopy", func(r *run, p *program) {
		r.sockets = []bound{{}}
		r.copies = map[int]*program{p.pid: p}
		r.killCopy(p)
	}},
}

// reapedCopy stands for a copy of generation 1 with pid, reaped: its status is delivered,
// and the reaper waits for that pid no more (or waits for another child given it since).
func reapedCopy(pid int) *program {
	exited := make(chan syscall.WaitStatus, 1)
	exited <- 0
	output := make(chan struct{})
	close(output)
	return &program{pid: pid, gen: 1, exited: exited, output: output}
}

func groupKillRun(t *testing.T, rp *reaper) *run {
	t.Setenv(instance.InvocationEnv, "") // killCopy's killDeadCopies: nothing of a run to find
	return &run{s: New(Config{StopSignal: syscall.SIGTERM}, io.Discard), ctx: context.Background(),
		log: hclog.NewNullLogger(), reaper: rp}
}

// shell runs script with sh through rp, leading its own process group as a copy with
// sockets does, of generation gen (none if 0), and returns its pid, its end, and the pids
// it printed, one a line, until its output closed; each printed pid still running then is
// killed when the test ends.
func shell(t *testing.T, rp *reaper, gen int, script string) (pid int, exited <-chan syscall.WaitStatus, printed []int) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	env := withoutEnv(os.Environ(), GenerationEnv)
	if gen > 0 {
		env = append(env, GenerationEnv+"="+strconv.Itoa(gen))
	}
	pid, exited, err = rp.start("/bin/sh", []string{"sh", "-c", script},
		&os.ProcAttr{Env: env, Files: []*os.File{nil, w, os.Stderr}, Sys: &syscall.SysProcAttr{Setpgid: true}})
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		n, err := strconv.Atoi(sc.Text())
		if err != nil {
			t.Fatalf("%q printed %q: want pids", script, sc.Text())
		}
		if h, err := proc.Open(n); err == nil { // not one that exited already
			t.Cleanup(func() { _ = h.Signal(syscall.SIGKILL); _ = h.Close() })
		}
		printed = append(printed, n)
	}
	return pid, exited, printed
}

// sentKill reports whether pid was sent SIGKILL: a kill(2) or a pidfd's queues it on the
// process as a whole (ShdPnd), where it shows until the process is reaped, dying or a
// zombie; or it is exiting, or gone.
func sentKill(t *testing.T, pid int) bool {
	t.Helper()
	pending, err := proc.SignalMask(proc.StatusPath(pid), "ShdPnd")
	if err != nil || pending&(1<<(syscall.SIGKILL-1)) != 0 {
		return true
	}
	st, err := proc.ReadStat(pid)
	return err != nil || st.Zombie() || st.Flags&pfExiting != 0
}

// pfExiting is the kernel's PF_EXITING, in /proc/PID/stat's flags: the process is exiting.
const pfExiting = 0x4

// A group leader's pid, once it is reaped, is free for the kernel to give to a stranger as
// soon as the group has no member left, and a stranger that takes it and calls setsid leads
// a group of the same number: a daemon, a shell's job. Here the stranger made itself a
// daemon the classic way, outside the supervisor's tree: it called setsid, started its
// worker and exited, reaped, so that its group of that number has a worker but no leader.
// What an old or failed copy left in its group must be killed with nothing of the
// stranger's.
func TestGroupKillAfterReapSparesAStrangersGroup(t *testing.T) {
	if _, err := os.Stat("/usr/bin/setsid"); err != nil {
		t.Skip("no setsid(1): ", err)
	}
	eachGroupKill(t, false, func(t *testing.T, k groupKill, rp *reaper) {
		// setsid runs in place (not a group leader in sh's group), and the inner sh,
		// leader of the new session and group, exits once its worker is started; the
		// outer sh reaps it. This process is no subreaper: the worker goes to init.
		_, ended, printed := shell(t, rp, 0,
			`setsid /bin/sh -c 'echo $$; sleep 1000 </dev/null >/dev/null 2>&1 & echo $!' </dev/null`)
		<-ended
		if len(printed) != 2 {
			t.Fatalf("the stranger printed %v: want its leader's pid and its worker's", printed)
		}
		leader, worker := printed[0], printed[1]
		st, err := proc.ReadStat(worker)
		if err != nil || st.PGRP != leader || st.PPID == os.Getpid() {
			t.Fatalf("the stranger's worker: %+v (%v): want it in group %d, not this process's child", st, err, leader)
		}
		if proc.DescendsFrom(worker, os.Getpid()) {
			t.Fatal("the stranger's worker descends from this process")
		}
		k.kill(groupKillRun(t, rp), reapedCopy(leader)) // a copy reaped, whose pid the stranger took
		if sentKill(t, worker) {
			t.Errorf("the stranger's worker (pid %d), in a group of a reaped copy's pid (%d) but not the copy's, was sent SIGKILL", worker, leader)
		}
	})
}

// The supervisor's own next child may take a reaped copy's pid, the new copy of an
// upgrade, and lead a group of its number (with sockets), with what it started: the
// group kill of the copy that is gone must not reach any of it, not even a process of its
// group that was reparented to the supervisor (a subreaper).
func TestGroupKillAfterReapSparesTheNextChild(t *testing.T) {
	eachGroupKill(t, true, func(t *testing.T, k groupKill, rp *reaper) {
		// The next copy: a worker it started, and one whose parent exited, reparented
		// to this process, both in its group.
		next, _, printed := shell(t, rp, 2,
			`sleep 1000 </dev/null >/dev/null 2>&1 & echo $!
			 (sleep 1000 </dev/null >/dev/null 2>&1 & echo $!)
			 echo $$; exec sleep 1000 >/dev/null`)
		if len(printed) != 3 || printed[2] != next {
			t.Fatalf("the next copy (pid %d) printed %v: want its two workers' pids and its own", next, printed)
		}
		if st, err := proc.ReadStat(printed[1]); err != nil || st.PPID != os.Getpid() || st.PGRP != next {
			t.Fatalf("the next copy's orphan: %+v (%v): want this process's child, in group %d", st, err, next)
		}
		k.kill(groupKillRun(t, rp), reapedCopy(next)) // the copy that is gone had the next one's pid
		for _, pid := range printed {
			if sentKill(t, pid) {
				t.Errorf("pid %d, of the next copy (%d) whose pid a copy reaped had, was sent SIGKILL", pid, next)
			}
		}
	})
}

// The next copy may have made itself a daemon the classic way, its intermediate given the
// reaped copy's pid: that called setsid, started the daemon and exited, reaped by the
// copy, and the daemon, reparented to the supervisor (a subreaper), is in a group of the
// reaped copy's pid with no leader. It carries the next copy's generation, not the reaped
// one's: the group kill must not reach it.
func TestGroupKillAfterReapSparesTheNextCopysDaemon(t *testing.T) {
	if _, err := os.Stat("/usr/bin/setsid"); err != nil {
		t.Skip("no setsid(1): ", err)
	}
	eachGroupKill(t, true, func(t *testing.T, k groupKill, rp *reaper) {
		// The copy prints its own pid once it has reaped the intermediate.
		next, _, printed := shell(t, rp, 2,
			`setsid /bin/sh -c 'sleep 1000 </dev/null >/dev/null 2>&1 & echo $!; echo $$' </dev/null
			 echo $$; exec sleep 1000 >/dev/null`)
		if len(printed) != 3 || printed[2] != next {
			t.Fatalf("the next copy (pid %d) printed %v: want its daemon's pid, its intermediate's and its own", next, printed)
		}
		daemon, intermediate := printed[0], printed[1]
		if st, err := proc.ReadStat(daemon); err != nil || st.PPID != os.Getpid() || st.PGRP != intermediate {
			t.Fatalf("the next copy's daemon: %+v (%v): want this process's child, in group %d", st, err, intermediate)
		}
		if _, err := proc.ReadStat(intermediate); err == nil {
			t.Fatalf("the next copy's intermediate (pid %d) is not reaped", intermediate)
		}
		k.kill(groupKillRun(t, rp), reapedCopy(intermediate)) // the copy that is gone had its pid
		if sentKill(t, daemon) {
			t.Errorf("the next copy's daemon (pid %d), in a group of a reaped copy's pid (%d), was sent SIGKILL", daemon, intermediate)
		}
	})
}

// What a copy left in its group once it was reaped is still killed: with the supervisor a
// subreaper, it was reparented to it.
func TestGroupKillAfterReapKillsWhatTheCopyLeft(t *testing.T) {
	eachGroupKill(t, true, func(t *testing.T, k groupKill, rp *reaper) {
		copyPID, exited, printed := shell(t, rp, 1, `sleep 1000 </dev/null >/dev/null 2>&1 & echo $!`)
		<-exited // reaped; its worker is left in its group
		if len(printed) != 1 {
			t.Fatalf("the copy printed %v: want its worker's pid", printed)
		}
		left := printed[0]
		if st, err := proc.ReadStat(left); err != nil || st.PGRP != copyPID || st.PPID != os.Getpid() {
			t.Fatalf("what the copy left: %+v (%v): want this process's child, in group %d", st, err, copyPID)
		}
		k.kill(groupKillRun(t, rp), reapedCopy(copyPID))
		if !sentKill(t, left) {
			t.Errorf("what the reaped copy (pid %d) left in its group (pid %d) was not killed", copyPID, left)
		}
	})
}

// eachGroupKill runs test for each of groupKills, in a subtest of its name, with a reaper
// of its own, closed at its end; as a child subreaper, if subreaper (skipped where this
// process cannot be one), as the supervisor is.
func eachGroupKill(t *testing.T, subreaper bool, test func(t *testing.T, k groupKill, rp *reaper)) {
	if subreaper {
		leave, err := proc.EnterSubreaper()
		if err != nil {
			t.Skip("not a subreaper: ", err)
		}
		defer leave()
	}
	for _, k := range groupKills {
		t.Run(k.name, func(t *testing.T) {
			rp := newReaper(nil)
			defer rp.close()
			test(t, k, rp)
		})
	}
}
