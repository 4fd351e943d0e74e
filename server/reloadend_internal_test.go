package server

import (
	"strings"
	"testing"
)

// A reload hook that returned as its bound at a stop passed (both found by a daemon late
// to look, a loaded machine; at once when the stop's bound had passed already) is not said
// to run on after the stop (select picks either at random).
func TestReloadEndedAsItsStopBoundPassed(t *testing.T) {
	for i := range 40 {
		r, log := newTestRunner(t, 0)
		r.reload.done = make(chan struct{})
		close(r.reload.done) // it returned
		r.awaitReload(0)     // and its bound is over
		if strings.Contains(log.String(), "still runs") {
			t.Fatalf("try %d: a reload hook that had returned was said to run on:\n%s", i, log)
		}
	}
}
