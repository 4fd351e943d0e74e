package instance

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/daemonkit/daemonkit/internal/testutil"
)

// shRun is a shell started in a session of its own (it leads it), and the pids it printed.
type shRun struct {
	leader int    // the shell's pid: its session's id
	start  uint64 // its start time
	pids   []int  // what it printed, one pid a line, in order
}

// runInSession runs `sh -c script` with env as its whole environment, in a session of its
// own, and reads the pids it prints until its output is closed: its background processes
// must send theirs elsewhere. With leaderStays, the shell runs on (it ends in an exec),
// and is killed and reaped when the test ends; otherwise it is reaped as soon as its output
// is closed, which leaves its session without a leader. Every pid it printed is killed at
// the end of the test, through a handle opened now.
func runInSession(t *testing.T, script string, env []string, leaderStays bool) shRun {
	t.Helper()
	r, cmd := startInSession(t, script, env, func(cmd *exec.Cmd) {
		if leaderStays {
			t.Cleanup(func() {
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
			})
		}
	})
	if !leaderStays {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("sh -c %q: %v", script, err)
		}
	}
	return r
}

// startInSession starts `sh -c script` as runInSession does, calls started with it at
// once (to see to its end), reads the pids it prints until its output is closed, each
// killed at the end of the test, and returns them with the shell, not reaped.
func startInSession(t *testing.T, script string, env []string, started func(*exec.Cmd)) (shRun, *exec.Cmd) {
	t.Helper()
	cmd := exec.Command("sh", "-c", script)
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := shRun{leader: cmd.Process.Pid, start: StartTime(cmd.Process.Pid)} // unreaped: readable even once it exits
	started(cmd)
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		pid, err := strconv.Atoi(strings.TrimSpace(sc.Text()))
		if err != nil {
			t.Fatalf("sh -c %q printed %q, not a pid", script, sc.Text())
		}
		killAtEnd(t, pid)
		r.pids = append(r.pids, pid)
	}
	for _, pid := range r.pids {
		awaitSleep(t, pid)
	}
	if r.start == 0 {
		t.Fatalf("no start time read for pid %d", r.leader)
	}
	return r, cmd
}

// awaitSleep waits until pid runs sleep: until then it may be the shell's fork, or env -i
// before its exec, which still have the script's environment, and so a run's mark that the
// sleep it becomes no longer carries.
func awaitSleep(t *testing.T, pid int) {
	t.Helper()
	testutil.WaitFor(t, fmt.Sprintf("pid %d to run sleep", pid), func() bool {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		return err == nil && strings.TrimSpace(string(b)) == "sleep"
	})
}

// killAtEnd SIGKILLs pid when the test ends, through a handle opened now.
func killAtEnd(t *testing.T, pid int) {
	t.Helper()
	h, err := proc.Open(pid)
	if err != nil {
		t.Fatalf("open pid %d: %v", pid, err)
	}
	t.Cleanup(func() {
		_ = h.Signal(syscall.SIGKILL)
		ctx, cancel := context.WithTimeout(context.Background(), testutil.Deadline)
		defer cancel()
		_ = h.Wait(ctx)
		_ = h.Close()
	})
}

// deadPID returns the pid of a process that has ended and been reaped.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

// leftRecord is the record of the instance at p whose daemon (by pid and start time) is
// gone without stopping: its run, invocation inv, in session (0 for none), is over.
func leftRecord(t *testing.T, p Paths, inv string, session int) Record {
	return Record{
		Name: p.Name, PIDFile: p.PIDFile, Program: "daemonkit", Strategy: "reexec",
		PID: deadPID(t), StartTime: 1, BootID: BootID(), State: StateRunning,
		Invocation: inv, Session: session,
	}
}

// sleeper is a background sleep that prints its pid and sends nothing to the output.
const sleeper = "sleep 600 </dev/null >/dev/null 2>&1 & echo $!; "

// plainEnv is an environment without any run's mark.
func plainEnv() []string { return []string{"PATH=" + os.Getenv("PATH")} }

// freshInvocation is a run's mark new to this test. A fixed one is shared with every
// other run of the same test on the machine (another checkout's, a loop of it in
// parallel), whose marked processes this one would find, and kill: Leftovers found a
// sleep of another run's that way.
func freshInvocation(t *testing.T) string {
	t.Helper()
	inv, err := NewInvocation()
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

// markedEnv is an environment with inv's mark.
func markedEnv(inv string) []string { return append(plainEnv(), InvocationEnv+"="+inv) }

// mustLeft fails the test unless Leftovers(p, rec) is want, sorted.
func mustLeft(t *testing.T, p Paths, rec Record, want ...int) {
	t.Helper()
	slices.Sort(want)
	if got := Leftovers(p, rec); !slices.Equal(got, want) {
		t.Fatalf("Leftovers = %v, want %v", got, want)
	}
}

// stopLeft writes rec at p, kills what it left (as stop does), and fails the test unless
// it killed want; then nothing must be left, and the record must keep no invocation.
func stopLeft(t *testing.T, p Paths, rec Record, want ...int) {
	t.Helper()
	if err := WriteRecord(p.Record, rec); err != nil {
		t.Fatal(err)
	}
	killed, notCleared, err := killLeftovers(p)
	if err != nil || notCleared != nil {
		t.Fatalf("killLeftovers: %v, %v", err, notCleared)
	}
	slices.Sort(want)
	if !slices.Equal(killed, want) {
		t.Fatalf("killLeftovers killed %v, want %v", killed, want)
	}
	for _, pid := range want {
		if st, err := proc.ReadStat(pid); err == nil && !st.Zombie() {
			t.Fatalf("pid %d is still alive after killLeftovers", pid)
		}
	}
	if r, err := ReadRecord(p.Record); err != nil || r.Invocation != "" {
		t.Fatalf("the record keeps its invocation (%v): %+v", err, r)
	}
}

// mustAlive fails the test unless every pid is a live process.
func mustAlive(t *testing.T, pids ...int) {
	t.Helper()
	for _, pid := range pids {
		if st, err := proc.ReadStat(pid); err != nil || st.Zombie() {
			t.Fatalf("pid %d, not the run's, is gone", pid)
		}
	}
}

// TestLeftoversNotInAnotherSession: a record whose session's number is now another
// session's (its last member gone, the number reused: a process that called setsid and
// exited, leaving a process in it) finds nothing there, in this boot or from another, and
// stop kills nothing of it.
func TestLeftoversNotInAnotherSession(t *testing.T) {
	p := testPaths(t, "w")
	for _, stays := range []bool{false, true} {
		script := sleeper
		if stays {
			script += "exec sleep 600 >/dev/null"
		}
		other := runInSession(t, script, plainEnv(), stays)
		rec := leftRecord(t, p, freshInvocation(t), other.leader)
		mustLeft(t, p, rec)
		rec.PID, rec.StartTime = other.leader, other.start // the session's leader, gone, as the record's daemon
		mustLeft(t, p, rec)
		rec.BootID = "another-boot"
		mustLeft(t, p, rec)
		rec.BootID = BootID()
		stopLeft(t, p, rec)
		mustAlive(t, other.pids...)
	}
}

// TestLeftoversNoneFromAnotherBoot: a record of an earlier boot finds nothing, not even a
// process that carries its mark now; stop kills nothing, and clears its invocation.
func TestLeftoversNoneFromAnotherBoot(t *testing.T) {
	p := testPaths(t, "w")
	inv := freshInvocation(t)
	marked := runInSession(t, sleeper, markedEnv(inv), false)
	rec := leftRecord(t, p, inv, marked.leader)
	mustLeft(t, p, rec, marked.pids...) // this boot's: it is the run's
	rec.BootID = "another-boot"
	mustLeft(t, p, rec)
	stopLeft(t, p, rec)
	mustAlive(t, marked.pids...)
}

// TestLeftoversSessionProvenByMark: a process that carries the run's mark proves its
// session the run's, and what cleared its environment there is found with it, when that
// session is the one the record keeps, or one a marked process leads; not when it is
// another (the session the daemon shared with its caller, under nohup).
func TestLeftoversSessionProvenByMark(t *testing.T) {
	inv := freshInvocation(t)
	two := sleeper + "env -i " + sleeper
	t.Run("recorded", func(t *testing.T) {
		p := testPaths(t, "w")
		s := runInSession(t, two, markedEnv(inv), false) // the leader, gone: the strategy's intermediate
		rec := leftRecord(t, p, inv, s.leader)
		mustLeft(t, p, rec, s.pids...)
		stopLeft(t, p, rec, s.pids...)
	})
	t.Run("led by a marked process", func(t *testing.T) {
		p := testPaths(t, "w")
		s := runInSession(t, "env -i "+sleeper+"exec sleep 600 >/dev/null", markedEnv(inv), true)
		rec := leftRecord(t, p, inv, 0)
		mustLeft(t, p, rec, s.leader, s.pids[0])
		stopLeft(t, p, rec, s.leader, s.pids[0])
	})
	t.Run("another", func(t *testing.T) {
		p := testPaths(t, "w")
		s := runInSession(t, two, markedEnv(inv), false)
		rec := leftRecord(t, p, inv, 0)
		mustLeft(t, p, rec, s.pids[0])
		stopLeft(t, p, rec, s.pids[0])
		mustAlive(t, s.pids[1])
	})
}

// TestLeftoversChildByStartTime: the program's main process the record names by pid and
// start time is found without any mark (it cleared its environment, or wrote over it), and
// so is what is in the session it leads (nginx's master and workers); the same pid with
// another start time is another process, and nothing is found.
func TestLeftoversChildByStartTime(t *testing.T) {
	p := testPaths(t, "w")
	inv := freshInvocation(t)
	master := runInSession(t, sleeper+"exec sleep 600 >/dev/null", plainEnv(), true)
	rec := leftRecord(t, p, inv, 0)
	rec.ChildPID, rec.ChildStartTime = master.leader, master.start+1
	mustLeft(t, p, rec)
	stopLeft(t, p, rec)
	mustAlive(t, master.leader, master.pids[0])
	rec.ChildStartTime = master.start
	mustLeft(t, p, rec, master.leader, master.pids[0])
	stopLeft(t, p, rec, master.leader, master.pids[0])
}

// TestSetChild: the start time recorded beside the program's pid is its own, read while it
// runs below this process; none for a process that does not, or none at all.
func TestSetChild(t *testing.T) {
	pid := startSleep(t)
	var r Record
	r.SetChild(pid)
	if r.ChildPID != pid || r.ChildStartTime == 0 || r.ChildStartTime != StartTime(pid) {
		t.Fatalf("SetChild(%d) = %d, %d; want its start time %d", pid, r.ChildPID, r.ChildStartTime, StartTime(pid))
	}
	r.SetChild(0)
	if r.ChildPID != 0 || r.ChildStartTime != 0 {
		t.Fatalf("SetChild(0) = %d, %d; want 0, 0", r.ChildPID, r.ChildStartTime)
	}
	r.SetChild(os.Getppid()) // above this process, not below
	if r.ChildStartTime != 0 {
		t.Fatalf("SetChild(parent) recorded start time %d, want 0", r.ChildStartTime)
	}
}

// TestLeftoversSessionProvenByEarlyMember: with no mark to read (nginx's workers, whose
// environment holds their process title) and the main process gone with its supervisor,
// the members of the recorded session are found when one of them started while the daemon
// was alive, before it last wrote its record (AliveTicks): the session never emptied, so
// its number is still the run's. Members that all started after that write (the session
// emptied, and its number went to a new one) are not, nor before the daemon started.
func TestLeftoversSessionProvenByEarlyMember(t *testing.T) {
	p := testPaths(t, "w")
	s := runInSession(t, sleeper+sleeper, plainEnv(), false) // its leader gone, as reexec's intermediate
	rec := leftRecord(t, p, "0123456789abcdef0123456789abcdef", s.leader)
	rec.StartTime = s.start // the daemon: as old as the session

	rec.AliveTicks = proc.Ticks() + 1 // written after the members started
	mustLeft(t, p, rec, s.pids...)

	rec.AliveTicks = s.start // written before the members started: not the run's
	mustLeft(t, p, rec)

	rec.AliveTicks, rec.StartTime = proc.Ticks()+1, proc.Ticks()+1 // a daemon started after them
	mustLeft(t, p, rec)

	rec.StartTime = s.start
	rec.AliveTicks = proc.Ticks() + 1
	stopLeft(t, p, rec, s.pids...)
}
