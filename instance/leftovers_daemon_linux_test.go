package instance

import "testing"

// TestLeftoversNotTheDaemonItself: the record's own daemon, still exiting (a SIGKILLed
// supervisor whose lock is gone while it is not yet a zombie: runOver takes its run for
// over), is not what its run left running, though it carries the run's mark: a start
// right after the kill refused itself on the daemon's own pid ("its last run left pid N
// running"). Another marked process of the run is still found.
func TestLeftoversNotTheDaemonItself(t *testing.T) {
	p := testPaths(t, "w")
	inv := freshInvocation(t)
	marked := runInSession(t, sleeper+sleeper, markedEnv(inv), false)
	daemon, other := marked.pids[0], marked.pids[1]
	rec := leftRecord(t, p, inv, 0)
	rec.PID, rec.StartTime = daemon, StartTime(daemon) // alive, marked, holding no lock
	if !runOver(rec) {
		t.Fatalf("runOver = false for a daemon that holds no lock")
	}
	mustLeft(t, p, rec, other)
}
