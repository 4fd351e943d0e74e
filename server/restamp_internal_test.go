package server

import (
	"testing"
	"time"
)

// TestRestamper: a reload arms one write restampDelay later; a burst is written after its
// first reload and again after the last; a storm of reloads gets a write every
// restampDelay, never put off.
func TestRestamper(t *testing.T) {
	armed := 0
	s := restamper{after: func(d time.Duration) <-chan time.Time {
		if d != restampDelay {
			t.Errorf("armed for %v, want %v", d, restampDelay)
		}
		armed++
		return make(chan time.Time)
	}}
	if s.c != nil {
		t.Fatal("the zero restamper is armed")
	}
	check := func(step string, wantArmed int, wantPending bool) {
		t.Helper()
		if armed != wantArmed || (s.c != nil) != wantPending {
			t.Fatalf("%s: armed %d times, pending %v; want %d, %v", step, armed, s.c != nil, wantArmed, wantPending)
		}
	}
	s.reloaded()
	check("one reload", 1, true)
	s.due()
	check("its write", 1, false)

	s.reloaded()
	s.reloaded()
	s.reloaded()
	check("a burst", 2, true)
	s.due()
	check("the burst's first write", 3, true)
	s.due()
	check("the write after its last reload", 3, false)

	for i := range 4 { // a storm: reloads between every write
		s.reloaded()
		s.reloaded()
		if i > 0 {
			check("a storm", 4+i, true)
		}
		s.due()
	}
	s.due()
	check("the storm's last write", 8, false)
}
