package instance

import (
	"os/exec"
	"sync"
	"testing"

	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/daemonkit/daemonkit/internal/testutil"
)

// TestLeftoversLeaderReapedMidScan: a run's session is proven its own by its daemon, the
// leader, still a zombie, and by a marked process in it. The zombie is reaped (by init,
// or the subreaper) while the session's members are listed: the session is still the
// run's, as the marked process in it proves, and what cleared its environment there (env
// -i) is found all the same, by status and by stop, not only the marked one.
func TestLeftoversLeaderReapedMidScan(t *testing.T) {
	p := testPaths(t, "w")
	inv := freshInvocation(t)
	var reap func()
	r, _ := startInSession(t, sleeper+"env -i "+sleeper, markedEnv(inv), func(cmd *exec.Cmd) {
		reap = sync.OnceFunc(func() { _ = cmd.Wait() })
		t.Cleanup(reap)
	})
	leader, start, pids := r.leader, r.start, r.pids
	testutil.WaitFor(t, "the session's leader to be a zombie", func() bool {
		st, err := proc.ReadStat(leader)
		return err == nil && st.Zombie()
	})
	rec := Record{
		Name: p.Name, PIDFile: p.PIDFile, Program: "daemonkit", Strategy: "setsid",
		PID: leader, StartTime: start, BootID: BootID(), State: StateRunning,
		Invocation: inv, Session: leader,
	}
	if !daemonLeads(rec) {
		t.Fatal("the zombie leader does not prove the session")
	}
	testHookSessionScanned = reap
	t.Cleanup(func() { testHookSessionScanned = nil })
	mustLeft(t, p, rec, pids...)
}
