//go:build linux

package reliability_test

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"
)

// TestSupervisorDescriptors: one long-lived supervisor must not gain descriptors as its
// program is restarted again and again (each run has its own pipes and sd_notify socket)
// nor as it is reloaded and its log reopened again and again.
func TestSupervisorDescriptors(t *testing.T) {
	for _, tc := range []struct{ name, mainpid string }{
		{"restarts", ""},
		// Each copy names its main process (MAINPID=): the supervisor holds a pidfd on it
		// while the copy runs, and must close it when the copy ends.
		{"restarts_mainpid", "-mainpid"},
	} {
		t.Run(tc.name, func(t *testing.T) { restartsKeepDescriptors(t, tc.name, tc.mainpid) })
	}

	t.Run("reloads", func(t *testing.T) {
		e := newEnv(t)
		const name = "reloads"
		e.must(0, name, "start", "-d", "--name", name, "--ready", "notify", "--", helperPath(t, "hupper"))
		sup := e.holder(name)
		rec, err := e.readRecord(name)
		if sup == 0 || err != nil || rec.ChildPID == 0 {
			t.Fatalf("no supervisor (%d) or program (%+v, %v)", sup, rec, err)
		}
		cycle := func() {
			e.must(0, name, "reload", "--name", name) // SIGHUP: reopen the log, HUP the program
			e.must(0, name, "reopen", "--name", name) // SIGUSR1: reopen the log
		}
		for range 5 {
			cycle()
		}
		// A reload is a signal: the daemon handles it after the command returns. Wait for
		// the count to settle at its value before the loop, which it must come back to.
		before := settledCount(t, sup)
		n := loops(100)
		for range n {
			cycle()
		}
		waitFor(t, fmt.Sprintf("the supervisor's descriptors back at %d after %d reloads and reopens (now %d: %v)",
			before, n, fdCount(sup), fdTargets(sup)), func() bool { return fdCount(sup) == before })
		if again, _ := e.readRecord(name); again.ChildPID != rec.ChildPID {
			t.Fatalf("the program was restarted by a reload: pid %d, then %d", rec.ChildPID, again.ChildPID)
		}
		t.Logf("supervisor pid %d: %d descriptors before and after %d reloads and %d reopens", sup, before, n, n)
		e.must(0, name, "stop", "--name", name)
		e.noneLeft(name, "after stop")
	})
}

type span struct{ min, max int }

// fdRange samples the supervisor's descriptor count from the from-th restart of the
// program until its to-th, and returns the least and the most seen.
func (e *env) fdRange(name string, sup, from, to int) span {
	e.t.Helper()
	restarts := func() int { r, _ := e.readRecord(name); return r.Restarts }
	waitFor(e.t, fmt.Sprintf("restart %d", from), func() bool { return restarts() >= from })
	s := span{min: 1 << 30}
	waitFor(e.t, fmt.Sprintf("restart %d", to), func() bool {
		c := fdCount(sup)
		if c < 0 {
			e.t.Fatalf("the supervisor pid %d is gone", sup)
		}
		s.min, s.max = min(s.min, c), max(s.max, c)
		return restarts() >= to
	})
	return s
}

// settledCount is pid's descriptor count once two readings in a row agree.
func settledCount(t *testing.T, pid int) int {
	last := -1
	var got int
	waitFor(t, "the descriptor count to settle", func() bool {
		c := fdCount(pid)
		if c == last {
			got = c
			return true
		}
		last = c
		return false
	})
	return got
}

// fdCount is the number of pid's open descriptors, or -1 if it is gone.
func fdCount(pid int) int {
	des, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/fd")
	if err != nil {
		return -1
	}
	return len(des)
}

// fdTargets is what pid's descriptors are, for a failure's message.
func fdTargets(pid int) []string {
	dir := "/proc/" + strconv.Itoa(pid) + "/fd"
	des, _ := os.ReadDir(dir)
	var out []string
	for _, de := range des {
		target, _ := os.Readlink(dir + "/" + de.Name())
		out = append(out, de.Name()+"->"+target)
	}
	slices.Sort(out)
	return out
}

// restartsKeepDescriptors runs flash (with flags, if any) under --restart always as name,
// and fails t if the supervisor gains descriptors as it is restarted again and again.
func restartsKeepDescriptors(t *testing.T, name string, flags ...string) {
	e := newEnv(t)
	args := []string{"start", "-d", "--name", name, "--ready", "notify", "--restart", "always",
		"--restart-delay", "1ms", "--min-uptime", "1ms", "--max-restarts", "1000000",
		"--", helperPath(t, "flash"), "-hold", "20ms"}
	for _, f := range flags {
		if f != "" {
			args = append(args, f)
		}
	}
	// flash says READY=1 and exits 20ms later: it is restarted for ever, 1ms later.
	e.must(0, name, args...)
	sup := e.holder(name)
	if sup == 0 {
		t.Fatal("no supervisor holds the pidfile")
	}
	// The count changes as each run's descriptors come and go: compare its range over
	// ten restarts early on (after a warm-up) with its range over the last ten. A leak
	// of even one descriptor a restart puts the whole late range above the early one.
	n := loops(150)
	early := e.fdRange(name, sup, 5, 15)
	late := e.fdRange(name, sup, n-10, n)
	t.Logf("supervisor pid %d: %d to %d descriptors over restarts 5-15, %d to %d over restarts %d-%d",
		sup, early.min, early.max, late.min, late.max, n-10, n)
	if late.min > early.max {
		t.Fatalf("the supervisor gained descriptors over %d restarts: %d-%d, then %d-%d\nnow: %v",
			n, early.min, early.max, late.min, late.max, fdTargets(sup))
	}
	e.must(0, name, "stop", "--name", name)
	e.noneLeft(name, "after stop")
}
