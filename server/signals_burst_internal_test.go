package server

import (
	"os"
	"os/signal"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestReopenThenReloadBothArrive: a SIGHUP sent while a SIGUSR1 still waits in the reopen
// channel, not yet taken by the run loop, is not dropped (os/signal drops a signal whose
// channel is full): the reload after a reopen happens.
func TestReopenThenReloadBothArrive(t *testing.T) {
	s := newSignals()
	signal.Notify(s.reopen, unix.SIGHUP, unix.SIGUSR1)
	defer signal.Stop(s.reopen)
	// Each signal is sent once the one before waits in the channel, untaken; the channel
	// must then hold both. (os/signal offers a signal to every channel in one pass: one
	// dropped never arrives, and the deadline ends the wait.)
	for i, sig := range []unix.Signal{unix.SIGUSR1, unix.SIGHUP} {
		if err := unix.Kill(os.Getpid(), sig); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for len(s.reopen) < i+1 {
			if time.Now().After(deadline) {
				t.Fatalf("the reopen channel holds %d signals after %v was sent, want %d: dropped", len(s.reopen), sig, i+1)
			}
			time.Sleep(time.Millisecond) // polling a condition, with a deadline
		}
	}
	if got := []os.Signal{<-s.reopen, <-s.reopen}; got[0] != sigusr1 || got[1] != sighup {
		t.Errorf("the reopen channel gave %v, want SIGUSR1 then SIGHUP", got)
	}
}
