//go:build linux

package reliability_test

import (
	"strings"
	"syscall"
	"testing"
)

// TestNothingLeftAfterKill9: a daemon killed with SIGKILL (kill -9, the OOM killer), 30
// times, across the strategies, with programs that leave something the parent-death
// signal does not reach: a worker in the program's group and a grandchild in a session of
// its own, or a daemon the program forked (--ready pidfile:). Each time, start refuses to
// run beside what is left (exit 1, "left"), stop kills it (exit 0, "killed"), and then no
// process of the instance is alive, no pidfile is left, status says 3, and the name starts
// and stops again cleanly.
func TestNothingLeftAfterKill9(t *testing.T) {
	e := newEnv(t)
	const name = "killed"
	programs := []struct {
		args  []string
		procs int // of the instance once all are up: the daemon and what the program leaves
	}{
		{[]string{"--", "sh", "-c", "sleep 1001 & setsid sleep 1002 & exec sleep 1000"}, 4},
		{workloads(t)[3], 2}, // daemonizes itself: the supervisor adopts it by its pidfile
	}
	for i := range loops(30) {
		prog := programs[i%len(programs)]
		args := append([]string{"start", "-d", "--strategy", strategies[i%len(strategies)], "--name", name}, prog.args...)
		e.must(0, name, args...)
		waitFor(t, "the program's descendants to start", func() bool { return len(e.instance(name)) >= prog.procs })
		pid := e.holder(name)
		if pid == 0 {
			t.Fatalf("round %d: no daemon holds %s's pidfile after start", i, name)
		}
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil { // the lock holder, read just now
			t.Fatal(err)
		}
		// Its lock goes with its last thread, which may exit after the leader shows Z.
		waitFor(t, "the killed daemon's lock to be free", func() bool { return e.holder(name) == 0 })
		if r := e.must(1, name, args...); !strings.Contains(r.err, "left") {
			t.Fatalf("round %d: start beside what the killed run left: %s", i, r)
		}
		if r := e.must(0, name, "stop", "--name", name); !strings.Contains(r.out, "killed ") {
			t.Fatalf("round %d: stop after kill -9 killed nothing: %s", i, r)
		}
		e.noneLeft(name, "after stop of a killed run")
		e.noPidfile(name)
		e.must(3, name, "status", "--name", name)
		e.must(0, name, args...)
		e.must(0, name, "stop", "--name", name)
		e.noneLeft(name, "after a clean cycle")
	}
}
