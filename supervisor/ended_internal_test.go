package supervisor

import (
	"syscall"
	"testing"
	"time"

	"github.com/daemonkit/daemonkit/instance"
)

// TestEndedRecordSaysWhenTheRestartIs: the record's change when a copy ends says, in the
// same write, when the next copy starts, so that status never reads the instance between
// two copies as running with no copy (it did, for as long as killing what the copy left
// took, one status in 200 under a crash loop); and says nothing of a restart that does
// not follow, not even the one before it (status said "started again in 0s" of a
// supervisor that had given up).
func TestEndedRecordSaysWhenTheRestartIs(t *testing.T) {
	const exit1 = syscall.WaitStatus(1 << 8)
	now := time.Now()
	cfg := Config{Restart: RestartAlways, MinUptime: 10 * time.Second, MaxRestarts: 5, RestartDelay: 100 * time.Millisecond}
	for _, c := range []struct {
		name      string
		cfg       Config
		failures  int
		restartIn time.Duration // 0: none follows
	}{
		{"restart", cfg, 1, 400 * time.Millisecond},
		{"gave up", cfg, 5, 0},
		{"no policy", Config{Restart: RestartNo}, 0, 0},
		{"exit 0 on failure only", Config{Restart: RestartOnFailure, MaxRestarts: 5}, 0, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			ws := exit1
			if c.cfg.Restart == RestartOnFailure {
				ws = 0
			}
			plan := planAfterEnd(c.cfg, ws, time.Second, c.failures, 400*time.Millisecond)
			// RestartAt as the back-off before a restarted copy that failed before it was
			// ready left it: a restart that does not follow clears it.
			rec := instance.Record{Command: []string{"prog"}, ChildPID: 42, ChildStartTime: 7, Restarts: 1, RestartAt: now.Add(-time.Second)}
			endedRecord("exited with status 1", 2, plan, now)(&rec)
			if rec.ChildPID != 0 || rec.ChildStartTime != 0 || rec.Restarts != 2 || rec.LastExit != "exited with status 1" {
				t.Fatalf("record %+v: want no copy, 2 restarts, the last exit", rec)
			}
			if c.restartIn == 0 {
				if !rec.RestartAt.IsZero() || rec.Restarting() {
					t.Fatalf("RestartAt %v: want none, no restart follows", rec.RestartAt)
				}
				return
			}
			if !rec.Restarting() || !rec.RestartAt.Equal(now.Add(c.restartIn)) {
				t.Fatalf("RestartAt %v, restarting %v: want %v, in the same write", rec.RestartAt, rec.Restarting(), now.Add(c.restartIn))
			}
		})
	}
}

// TestPlanAfterEndResetsAfterMinUptime: a copy that stayed up MinUptime (exactly, or
// longer) starts the count of failed restarts in a row and the back-off afresh, so that a
// program that fails now and then is never given up on; one that did not keeps both, and
// is given up on after MaxRestarts.
func TestPlanAfterEndResetsAfterMinUptime(t *testing.T) {
	const exit1 = syscall.WaitStatus(1 << 8)
	cfg := Config{Restart: RestartOnFailure, MinUptime: 10 * time.Second, MaxRestarts: 5, RestartDelay: 100 * time.Millisecond}
	for _, c := range []struct {
		uptime   time.Duration
		failures int
		delay    time.Duration
		gaveUp   bool
	}{
		{10 * time.Second, 0, 100 * time.Millisecond, false},
		{time.Hour, 0, 100 * time.Millisecond, false},
		{10*time.Second - time.Millisecond, 5, 3200 * time.Millisecond, true},
	} {
		plan := planAfterEnd(cfg, exit1, c.uptime, 5, 3200*time.Millisecond)
		if !plan.restart || plan.failures != c.failures || plan.delay != c.delay || plan.gaveUp != c.gaveUp {
			t.Errorf("up %v after 5 failures, back-off 3.2s: plan %+v; want failures %d, delay %v, gave up %v",
				c.uptime, plan, c.failures, c.delay, c.gaveUp)
		}
	}
}
