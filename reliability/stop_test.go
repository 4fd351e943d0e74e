//go:build linux

package reliability_test

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/daemonkit/daemonkit/pidfile"
)

// workloads are what the loops start in turn: the built-in server, a supervised program
// ready at once (its --ready-grace cut to 10ms: the default 200ms made 10s of the 200
// cycles' 25s), one that says READY=1 over sd_notify, and one that daemonizes itself (its
// first process exits 0 once its daemon's pid is in its pidfile, which each round finds
// naming the last round's dead daemon at first).
func workloads(t testing.TB) [][]string {
	forked := filepath.Join(t.TempDir(), "forked.pid")
	return [][]string{
		nil,
		{"--ready-grace", "10ms", "--", "sleep", "1000"},
		{"--ready", "notify", "--", helperPath(t, "notifier")},
		{"--ready", "pidfile:" + forked, "--", "sh", "-c", `sleep 1000 </dev/null >/dev/null 2>&1 & echo $! >"$0.tmp" && mv "$0.tmp" "$0"`, forked},
	}
}

// TestStopRightAfterStart: a stop issued the moment start returns, 30 times, across the
// strategies and workloads, returns (exit 0, "stopped"), and leaves nothing: no process
// of the instance alive, no pidfile, and status says not running (exit 3).
func TestStopRightAfterStart(t *testing.T) {
	e := newEnv(t)
	const name = "quick"
	ws := workloads(t)
	for i := range loops(30) {
		args := append([]string{"start", "-d", "--strategy", strategies[i%len(strategies)], "--name", name}, ws[i%len(ws)]...)
		e.must(0, name, args...)
		r := e.must(0, name, "stop", "--name", name)
		if !strings.HasPrefix(r.out, "stopped ") {
			t.Fatalf("round %d: stop right after start did not stop anything: %s", i, r)
		}
		e.noneLeft(name, "after stop")
		e.noPidfile(name)
		e.must(3, name, "status", "--name", name)
	}
}

// TestStopWhileStarting: a stop issued while the daemon is still starting (it holds its
// pidfile lock; its program takes 200 ms to say READY=1), 30 times, across the
// strategies. Both commands return; start either succeeds or says why not (it never
// hangs), stop exits 0, and nothing of the instance is left.
func TestStopWhileStarting(t *testing.T) {
	e := newEnv(t)
	const name = "slow"
	notifier := helperPath(t, "notifier")
	outcomes := map[string]int{}
	for i := range loops(30) {
		args := []string{"start", "-d", "--strategy", strategies[i%len(strategies)], "--name", name,
			"--ready", "notify", "--", notifier, "-delay", "200ms"}
		cmd, out, errb := e.cmd(name, args...)
		began := time.Now()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the starting daemon to hold its pidfile", func() bool { return e.holder(name) != 0 })
		if _, err := os.Stat(e.record(name)); err == nil {
			if rec, _ := e.readRecord(name); rec.State == "running" && rec.PID == e.holder(name) {
				t.Fatalf("round %d: the daemon was ready before the stop was issued: the test proves nothing", i)
			}
		}
		stop := e.run(name, "stop", "--name", name)
		start := e.wait(cmd, out, errb, args, began)
		if stop.code != 0 {
			t.Fatalf("round %d: stop while starting: %s\n(start: %s)", i, stop, start)
		}
		if start.code != 0 && start.code != 1 {
			t.Fatalf("round %d: start, stopped while starting: %s", i, start)
		}
		outcomes[fmt.Sprintf("%s / start exit %d", firstWords(stop.out), start.code)]++
		e.noneLeft(name, "after a stop while starting")
		e.noPidfile(name)
	}
	t.Logf("outcomes (stop said / start exited): %v", outcomes)
}

// TestStopWhileLaunching: a stop issued in the first milliseconds of a start, as soon as
// start holds its start lock and before its daemon (if it has begun at all) holds the
// pidfile, 30 times, across the strategies and workloads. Before the start lock, such a
// stop found nothing ("not running") and the daemon ran on. Now stop waits for the daemon
// and stops it: it says stopped, start exits 0 (the daemon was ready first) or 1 (called
// off), and nothing of the instance is left, nor its pidfile or start lock.
func TestStopWhileLaunching(t *testing.T) {
	e := newEnv(t)
	const name = "launching"
	ws := workloads(t)
	lock := filepath.Join(e.state, name+".starting")
	outcomes := map[string]int{}
	for i := range loops(30) {
		args := append([]string{"start", "-d", "--strategy", strategies[i%len(strategies)], "--name", name}, ws[i%len(ws)]...)
		cmd, out, errb := e.cmd(name, args...)
		began := time.Now()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "start to take its start lock (or its daemon, the pidfile)", func() bool {
			// held, not there: start creates the file and then locks it, and a stop
			// between the two comes before the start, and finds nothing
			st, err := pidfile.Probe(lock)
			return (err == nil && st.State == pidfile.Running) || e.holder(name) != 0 // a start quicker than a polling step
		})
		early := e.holder(name) == 0
		stop := e.run(name, "stop", "--name", name)
		start := e.wait(cmd, out, errb, args, began)
		if stop.code != 0 || !strings.HasPrefix(stop.out, "stopped ") {
			t.Fatalf("round %d: a stop while start launches did not stop the daemon: %s\n(start: %s)", i, stop, start)
		}
		if start.code != 0 && start.code != 1 {
			t.Fatalf("round %d: start, stopped while it launched: %s", i, start)
		}
		outcomes[fmt.Sprintf("no pidfile held yet: %v / start exit %d", early, start.code)]++
		e.noneLeft(name, "after a stop while start launched")
		e.noPidfile(name)
		if _, err := os.Lstat(lock); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("round %d: start lock %s left behind (%v)", i, lock, err)
		}
	}
	t.Logf("outcomes: %v", outcomes)
}

// firstWords is the first two words of s: "stopped slow", "slow was".
func firstWords(s string) string {
	f := strings.Fields(s)
	return strings.Join(f[:min(len(f), 2)], " ")
}

// noPidfile fails the test if the instance's pidfile is there.
func (e *env) noPidfile(name string) {
	e.t.Helper()
	if _, err := os.Lstat(e.pidfile(name)); !errors.Is(err, fs.ErrNotExist) {
		e.t.Fatalf("pidfile %s left behind (%v)", e.pidfile(name), err)
	}
}

// TestStartStopCycles: 200 start and stop cycles of one name, across the strategies and
// workloads: after each, no process of the instance is alive (no orphan: a supervised
// program goes with its supervisor) and no pidfile is left; at the end, the record says
// stopped.
func TestStartStopCycles(t *testing.T) {
	e := newEnv(t)
	const name = "cycle"
	ws := workloads(t)
	n := loops(200)
	for i := range n {
		args := append([]string{"start", "-d", "--strategy", strategies[i%len(strategies)], "--name", name}, ws[(i/len(strategies))%len(ws)]...)
		e.must(0, name, args...)
		e.must(0, name, "stop", "--name", name)
		e.noneLeft(name, "after a cycle")
		e.noPidfile(name)
	}
	if rec, err := e.readRecord(name); err != nil || rec.State != "stopped" {
		t.Fatalf("after %d cycles the record says %+v (%v); want stopped", n, rec, err)
	}
}
