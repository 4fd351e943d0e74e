//go:build linux

package reliability_test

import (
	"strings"
	"testing"
)

// TestConcurrentRestarts restarts one running name twice at once, 30 times, across
// strategies, the built-in server and a supervised program. Each time both restarts exit
// 0, the instance ends up running, exactly one daemon of it is alive, and it is not the
// one from before: a second restart joins the first, as a second systemctl restart joins
// the job under way, rather than stop the daemon the first is starting (which left the
// instance stopped, both restarts exiting 1, in a few rounds of 30).
func TestConcurrentRestarts(t *testing.T) {
	e := newEnv(t)
	const name = "rr"
	for i := range loops(30) {
		args := []string{"start", "-d", "--strategy", strategies[i%len(strategies)], "--name", name}
		if i%2 == 1 {
			args = append(args, "--", "sleep", "1000")
		}
		e.must(0, name, args...)
		before := e.holder(name)
		a, b := e.concurrently(name, []string{"restart", "--name", name})
		for _, r := range []result{a, b} {
			if r.code != 0 {
				t.Fatalf("round %d: a restart failed:\n%s\n%s", i, a, b)
			}
		}
		joined := 0
		for _, r := range []result{a, b} {
			if strings.Contains(r.out, "not restarted again") {
				joined++
			}
		}
		if joined > 1 {
			t.Fatalf("round %d: neither restart restarted:\n%s\n%s", i, a, b)
		}
		e.exactlyOneDaemon(name, i)
		if now := e.holder(name); now == before {
			t.Fatalf("round %d: the daemon from before the restarts (pid %d) still runs", i, before)
		}
		e.must(0, name, "stop", "--name", name)
		e.noneLeft(name, "after stop")
	}
}
