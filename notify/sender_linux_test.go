package notify

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

type rejection struct {
	pid    int
	reason string
}

// TestSender checks, with a pure-Go program as the sender, that every field arrives with
// the sender's pid, that a 5000-byte datagram is dropped and reported, and that a bad
// number costs only its own field.
func TestSender(t *testing.T) {
	s := listen(t)
	var rejected []rejection
	s.OnReject = func(pid int, reason string) { rejected = append(rejected, rejection{pid, reason}) }
	cmd := startSender(t, "sender", s)
	pid := cmd.Process.Pid
	s.Accept = Descendant(pid)
	want := []Message{
		{PID: pid, Ready: true, Status: "up = and running", HasStatus: true},
		{PID: pid, Errno: 2},
		{PID: pid, MainPID: pid},
		{PID: pid, ExtendTimeout: 1500 * time.Millisecond},
		{PID: pid, Status: "last", HasStatus: true, Other: map[string]string{"X_CUSTOM": "yes"}},
	}
	for i, w := range want {
		m := receive(t, s)
		if i == len(want)-1 && !errors.Is(m.Err, ErrBadField) {
			t.Errorf("MAINPID=junk: Err = %v, want ErrBadField", m.Err)
		}
		m.Err = nil
		if !reflect.DeepEqual(m, w) {
			t.Errorf("message %d = %+v, want %+v", i, m, w)
		}
	}
	if len(rejected) != 1 || rejected[0].pid != pid || rejected[0].reason != ErrTooLarge.Error() {
		t.Errorf("rejected %v, want the 5000-byte datagram of pid %d", rejected, pid)
	}
}

// TestRejectNotDescendant checks that a datagram from a live process that does not descend
// from the accepted root is dropped and reported, and the next accepted one delivered.
func TestRejectNotDescendant(t *testing.T) {
	s := listen(t)
	var rejected []rejection
	s.OnReject = func(pid int, reason string) { rejected = append(rejected, rejection{pid, reason}) }
	intruder := startSender(t, "ready", s) // alive until the test ends
	program := startSender(t, "ready", s)
	s.Accept = Descendant(program.Process.Pid)
	if m := receive(t, s); m.PID != program.Process.Pid || !m.Ready {
		t.Errorf("received %+v, want READY=1 from pid %d", m, program.Process.Pid)
	}
	if len(rejected) != 1 || rejected[0] != (rejection{intruder.Process.Pid, "sender not accepted"}) {
		t.Errorf("rejected %v, want pid %d not accepted", rejected, intruder.Process.Pid)
	}
}
