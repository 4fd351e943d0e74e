//go:build linux

package upgradetest

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/internal/testutil"
)

// The load of TestUpgradeUnderLoad and of its control, TestRestartUnderLoadFails.
var fullLoad = loadConfig{
	newConn:       3,
	keepAliveGet:  2,
	keepAlivePost: 2,
	interval:      4 * time.Millisecond,
	maxPerClient:  40000,
	maxDuration:   4 * time.Minute,
}

// slowPerUpgrade is how many slow requests are in flight at each upgrade.
const slowPerUpgrade = 3

// upgradeStep is one upgrade of TestUpgradeUnderLoad.
type upgradeStep struct {
	args     []string // upgrade's arguments
	graceful bool     // restart --graceful instead
	fails    string   // "" if it must succeed; else what its error must say
	quote    string   // a failing step: the line of the new copy its error must quote
	starting bool     // look at the shared socket while the new copy starts
}

// TestUpgradeUnderLoad upgrades the test server several times under a steady load (new
// connections, keep-alive GETs and POSTs, and slow requests in flight at each upgrade),
// once to a copy that exits at once and once to one that never says READY=1, and checks
// that no request fails, every slow request is finished by the copy that took it, the
// failed upgrades exit 1 saying why (quoting the new copy) and leave the old copy serving,
// and the supervisor (pid, descriptors) is the same at the end as at the start.
func TestUpgradeUnderLoad(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	server := func(label string, more ...string) []string {
		return append([]string{"--", self, serverArg, "-label", label}, more...)
	}
	d := newDaemon(t, "web")
	d.mustRun(append([]string{"start", "-d", "--name", "web", "--socket", "tcp:127.0.0.1:0", "--ready", "notify",
		"--ready-timeout", "60s", "--drain-timeout", "60s"}, server("g1")...)...)
	addr := d.addr()
	_, portText, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(portText)
	if port == 0 {
		t.Fatalf("the record says %s: port 0 was not resolved", addr)
	}
	sup := d.supervisor()
	serving := d.serving()
	fdsBefore := settledFDs(t, sup)
	good := map[int]bool{serving: true} // the copies that served

	steps := []upgradeStep{
		{args: server("g2")},
		{args: server("g3")},
		{args: server("exit", "-exit-at-once"), fails: "the program exited with status 3 before it was ready",
			quote: "exiting at once, as asked"},
		{args: server("g4")},
		{args: append([]string{"--timeout", "3s"}, server("never", "-never-ready")...),
			fails: `the new copy was not ready in time \(--ready notify, within 3s\): stopped it: it exited with status 0`,
			quote: "waiting for something that never comes", starting: true},
		{args: nil}, // the command it runs now (g4's)
		{graceful: true},
		{args: server("g5")},
	}

	cfg := fullLoad
	cfg.addr = addr
	l := startLoad(t, cfg)
	l.waitProgress(t, 200)
	var pending []*slowRequest // slow requests a failed upgrade left in flight: the next drain ends them
	upgrades, failedUpgrades := 0, 0
	for i, step := range steps {
		slow := sendSlow(t, addr, slowPerUpgrade)
		for _, sr := range slow {
			if sr.pid != serving {
				t.Fatalf("step %d: a slow request was taken by pid %d, not by the serving copy %d", i, sr.pid, serving)
			}
		}
		l.waitProgress(t, 100) // the load flows while the upgrade starts
		var code int
		var stdout, stderr string
		switch {
		case step.graceful:
			code, stdout, stderr = d.run("restart", "--graceful", "--name", "web")
		case step.starting:
			// While the new copy starts, the socket's mode is what the serving copy set:
			// starting a copy must not make it blocking under the copy that serves.
			res := d.runAsync(append([]string{"upgrade", "--name", "web"}, step.args...)...)
			testutil.WaitFor(t, "a copy starting", func() bool {
				return slices.ContainsFunc(d.record().Copies, func(c instance.Copy) bool { return c.State == "starting" })
			})
			if !listenerNonblocking(t, serving, port) {
				t.Errorf("step %d: starting a new copy made the shared socket blocking under the serving copy %d", i, serving)
			}
			r := <-res
			code, stdout, stderr = r.code, r.stdout, r.stderr
			t.Logf("$ daemonkit upgrade --name web %s\n%s%s(exit %d)", strings.Join(step.args, " "), stdout, stderr, code)
		default:
			code, stdout, stderr = d.run(append([]string{"upgrade", "--name", "web"}, step.args...)...)
		}
		if got := d.supervisor(); got != sup {
			t.Fatalf("step %d: the supervisor is pid %d, not %d", i, got, sup)
		}
		if step.fails != "" {
			failedUpgrades++
			if code != 1 {
				t.Fatalf("step %d: a failed upgrade exited %d, want 1", i, code)
			}
			for _, want := range []string{step.fails, fmt.Sprintf("the old copy \\(pid %d\\) serves on", serving),
				"the new copy's last lines:", regexp.QuoteMeta(step.quote)} {
				if !regexp.MustCompile(want).MatchString(stderr) {
					t.Fatalf("step %d: the failed upgrade's error does not say %q:\n%s", i, want, stderr)
				}
			}
			if !alive(serving) || d.serving() != serving {
				t.Fatalf("step %d: the old copy %d does not serve on (record: %d)", i, serving, d.serving())
			}
			checkServes(t, addr, serving)
			pending = append(pending, slow...)
			continue
		}
		upgrades++
		if code != 0 {
			t.Fatalf("step %d: upgrade exited %d", i, code)
		}
		if strings.Contains(stdout, "killed it (SIGKILL)") {
			t.Fatalf("step %d: the old copy had to be killed: %s", i, stdout)
		}
		m := regexp.MustCompile(`generation (\d+) \(pid (\d+)\) serves, ready in \S+; the old copy \(pid (\d+)\) drained in \S+\n`).FindStringSubmatch(stdout)
		if m == nil {
			t.Fatalf("step %d: the upgrade did not say which copy serves:\n%s", i, stdout)
		}
		newPID, _ := strconv.Atoi(m[2])
		if old, _ := strconv.Atoi(m[3]); old != serving {
			t.Fatalf("step %d: the upgrade drained pid %d, not the serving copy %d", i, old, serving)
		}
		d.track(newPID)
		if alive(serving) {
			t.Fatalf("step %d: the old copy %d is still running after the upgrade", i, serving)
		}
		if rec := d.serving(); rec != newPID {
			t.Fatalf("step %d: the record names pid %d as serving, not %d", i, rec, newPID)
		}
		checkServes(t, addr, newPID)
		for _, sr := range append(pending, slow...) {
			res := sr.wait(t)
			if res.err != nil {
				t.Fatalf("step %d: a slow request taken by pid %d failed: %v", i, sr.pid, res.err)
			}
			if res.pid != sr.pid || !res.drained {
				t.Fatalf("step %d: a slow request taken by pid %d was finished by pid %d (drained %t)", i, sr.pid, res.pid, res.drained)
			}
		}
		pending = nil
		serving = newPID
		good[serving] = true
	}
	l.stop()
	sent, ok, failed, retried := l.totals()
	t.Logf("load over %d upgrades and %d failed upgrades (%d slow requests in flight at each):\n%s",
		upgrades, failedUpgrades, slowPerUpgrade, l.report())
	if failed > 0 || ok != sent {
		t.Errorf("%d of %d requests failed", failed, sent)
	}
	if retried > 0 {
		t.Errorf("%d requests were sent again on a new connection after a keep-alive connection closed under them", retried)
	}
	for pid := range l.pids() {
		if !good[pid] {
			t.Errorf("pid %d answered, but it is no copy that served", pid)
		}
	}
	for _, kind := range []string{newConn, keepAliveGet, keepAlivePost} {
		if l.kinds[kind].ok == 0 {
			t.Errorf("no %s request was answered", kind)
		}
	}
	// The supervisor holds what it held before: sockets, log, pidfile, control socket, one
	// copy's notify socket and output pipes. What an upgrade used is closed, if not at once
	// (the control connection closes after the answer).
	deadline := time.Now().Add(testutil.Deadline)
	for now := fds(t, sup); len(now) != len(fdsBefore); now = fds(t, sup) {
		if time.Now().After(deadline) {
			t.Fatalf("the supervisor has %d descriptors, had %d before the upgrades:\nbefore: %s\nnow: %s",
				len(now), len(fdsBefore), strings.Join(fdsBefore, ", "), strings.Join(now, ", "))
		}
		time.Sleep(10 * time.Millisecond) // polling for a condition, with a deadline
	}
	t.Logf("the supervisor (pid %d) has %d descriptors, as before the upgrades", sup, len(fdsBefore))
}

// TestRestartUnderLoadFails is the control: the same load against a plain restart (stop,
// then start) sees requests fail, so the test above can see a drop when there is one.
func TestRestartUnderLoadFails(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	port := freePort(t) // restart binds again: a port 0 would move
	d := newDaemon(t, "ctl")
	d.mustRun("start", "-d", "--name", "ctl", "--socket", "tcp:127.0.0.1:"+port, "--ready", "notify",
		"--", self, serverArg, "-label", "r")
	addr := d.addr()
	cfg := fullLoad
	cfg.addr = addr
	l := startLoad(t, cfg)
	l.waitProgress(t, 200)
	restarts := 0
	for ; restarts < 5; restarts++ { // until one shows a drop: each does, in practice
		if _, _, failed, _ := l.totals(); failed > 0 {
			break
		}
		d.mustRun("restart", "--name", "ctl")
		d.record()
		l.waitProgress(t, 100)
	}
	l.stop()
	_, _, failed, _ := l.totals()
	t.Logf("load over %d plain restarts:\n%s", restarts, l.report())
	if failed == 0 {
		t.Fatalf("no request failed over %d restarts: the test cannot see a drop", restarts)
	}
}

// checkServes checks that a few new connections are all answered by pid.
func checkServes(t *testing.T, addr string, pid int) {
	t.Helper()
	for range 5 {
		tr := &http.Transport{DisableKeepAlives: true}
		resp, err := (&http.Client{Transport: tr, Timeout: 30 * time.Second}).Get("http://" + addr + "/")
		if err != nil {
			t.Fatalf("GET http://%s/: %v", addr, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		got, _, err := checkAnswer(resp, b, false)
		if err != nil {
			t.Fatal(err)
		}
		if got != pid {
			t.Fatalf("pid %d answered, not the serving copy %d", got, pid)
		}
	}
}

// freePort is a TCP port of the loopback that was free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// TestUpgradeUnderLoadPlainShutdown measures, for docs/upgrade.md, what the same load
// sees when each old copy drains with http.Server.Shutdown alone, as many Go servers do:
// Shutdown closes idle keep-alive connections at once, under clients about to send on
// them. It asserts only that the upgrades succeed: what it counts is the program's
// drain, not daemonkit's hand-over.
func TestUpgradeUnderLoadPlainShutdown(t *testing.T) {
	if testing.Short() {
		t.Skip("a measurement, not a check: skipped with -short")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	d := newDaemon(t, "plain")
	d.mustRun("start", "-d", "--name", "plain", "--socket", "tcp:127.0.0.1:0", "--ready", "notify",
		"--", self, serverArg, "-label", "p1", "-plain-shutdown")
	cfg := fullLoad
	cfg.addr = d.addr()
	l := startLoad(t, cfg)
	l.waitProgress(t, 200)
	const upgrades = 6
	for i := range upgrades {
		d.mustRun("upgrade", "--name", "plain", "--", self, serverArg, "-label", "p"+strconv.Itoa(i+2), "-plain-shutdown")
		d.record()
		l.waitProgress(t, 300)
	}
	l.stop()
	t.Logf("load over %d upgrades, each old copy draining with http.Server.Shutdown alone:\n%s", upgrades, l.report())
}
