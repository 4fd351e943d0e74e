package server

import (
	"math"
	"testing"
	"time"

	"github.com/daemonkit/daemonkit/handshake"
)

// TestStartupExtend: an extension moves a detached daemon's own deadline to ReadyGrace
// after the launcher's, and a foreground one's (no launcher) to the extension itself, never
// earlier than it was; one without end (systemd's infinity) removes it rather than overflow
// into the past; and a start with no deadline gets none.
func TestStartupExtend(t *testing.T) {
	s := &startup{rep: &handshake.Reporter{}, deadline: time.Now().Add(time.Hour)}
	s.extend(time.Second) // earlier than the hour: no change
	if left, ok := s.left(); !ok || left < 59*time.Minute {
		t.Fatalf("after a shorter extension: %v, %v; want about an hour", left, ok)
	}
	s.extend(2 * time.Hour)
	if left, ok := s.left(); !ok || left < 2*time.Hour+ReadyGrace-time.Minute {
		t.Fatalf("after a 2h extension: %v, %v; want 2h and ReadyGrace", left, ok)
	}
	s.extend(time.Duration(math.MaxInt64))
	if left, ok := s.left(); ok {
		t.Fatalf("after an extension without end: %v left; want no deadline", left)
	}
	fg := &startup{deadline: time.Now().Add(time.Second)}
	fg.extend(time.Hour)
	if left, ok := fg.left(); !ok || left > time.Hour || left < 59*time.Minute {
		t.Fatalf("in the foreground, after a 1h extension: %v, %v; want 1h, no grace", left, ok)
	}
	fg.extend(time.Duration(math.MaxInt64))
	if left, ok := fg.left(); ok {
		t.Fatalf("in the foreground, after an extension without end: %v left; want no deadline", left)
	}
	none := &startup{}
	none.extend(time.Second)
	if _, ok := none.left(); ok {
		t.Fatal("a start without a deadline got one from an extension")
	}
}
