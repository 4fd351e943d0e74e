package instance

import (
	"errors"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"syscall"
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
	// (the stop it would have interrupted is over): the helper returns, exit 0. Or it ends
	// the helper right after, by SIGINT's default action: a signal the kernel holds pending
	// while every thread blocks it (the runtime does, as it starts a thread) reaches the
	// process only once holdInterrupts has let go. Either way the victim is not left
	// stopped, which the checks below prove.
	var exit *exec.ExitError
	if err := h.Run(); err != nil && !(errors.As(err, &exit) && exit.Sys().(syscall.WaitStatus).Signal() == syscall.SIGINT) {
		t.Errorf("the helper ended with %v, want exit 0, or the SIGINT once killFrozen was done", err)
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

// TestHoldInterruptsKeepsIgnoredSignals: a program that ignores every signal holdInterrupts
// would hold goes on ignoring them after it (os/signal's Notify of no signal would catch
// them all, and its Stop give them their default actions).
func TestHoldInterruptsKeepsIgnoredSignals(t *testing.T) {
	sigs := []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT}
	signal.Ignore(sigs...)
	t.Cleanup(func() { signal.Reset(sigs...) })
	holdInterrupts()()
	for _, sig := range sigs {
		if !signal.Ignored(sig) {
			t.Errorf("%v is no longer ignored after holdInterrupts", sig)
		}
	}
}
