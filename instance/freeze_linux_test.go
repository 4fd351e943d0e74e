package instance

import (
	"os/exec"
	"strconv"
	"testing"

	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/daemonkit/daemonkit/internal/testutil"
)

// TestKillFrozenInterrupted: a SIGINT that comes while killFrozen holds what it found
// stopped (a stop's Ctrl-C) waits until what it stopped is killed: nothing is left
// stopped, holding its port and answering nothing.
func TestKillFrozenInterrupted(t *testing.T) {
	victim := exec.Command("sleep", "600")
	if err := victim.Start(); err != nil {
		t.Fatal(err)
	}
	killAtEnd(t, victim.Process.Pid)
	exited := make(chan struct{})
	go func() { _ = victim.Wait(); close(exited) }() // reaped when it dies: gone, not a zombie
	h := testutil.Helper(t, "freeze", nil, "VICTIM="+strconv.Itoa(victim.Process.Pid))
	// The SIGINT is held off until what killFrozen stopped is killed, and is then lost
	// (the stop it would have interrupted is over): the helper returns, exit 0.
	if err := h.Run(); err != nil {
		t.Errorf("the helper ended with %v, want exit 0, once killFrozen was done", err)
	}
	if st, err := proc.ReadStat(victim.Process.Pid); err == nil && st.Stopped() {
		t.Fatalf("pid %d is left stopped (state %c)", victim.Process.Pid, st.State)
	}
	testutil.WaitFor(t, "the victim to be gone", func() bool {
		select {
		case <-exited:
			return true
		default:
			return false
		}
	})
}
