package launcher

import (
	"os"
	"testing"

	"github.com/daemonkit/daemonkit/handshake"
)

// TestLateWord: at the deadline, a report the daemon wrote before it is taken, whether the
// handshake's reader has read it yet or it still waits in the pipe; an empty pipe has
// none.
func TestLateWord(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if n := pendingBytes(r); n != 0 {
		t.Fatalf("pendingBytes of an empty pipe = %d, want 0", n)
	}
	none := make(chan handshake.Event) // a reader that brings nothing
	if ev, ok := lateWord(r, none); ok {
		t.Fatalf("lateWord of an empty pipe = %+v, want none", ev)
	}

	line := "{\"ready\":true,\"pid\":42}\n"
	if _, err := w.WriteString(line); err != nil {
		t.Fatal(err)
	}
	if n := pendingBytes(r); n != len(line) {
		t.Fatalf("pendingBytes = %d, want %d", n, len(line))
	}
	// The word waits in the pipe, and the reader starts only now: lateWord waits for it.
	done := make(chan struct{})
	defer close(done)
	ev, ok := lateWord(r, handshake.Read(r, done))
	if !ok || !ev.Report.Ready || ev.Report.PID != 42 {
		t.Fatalf("lateWord = %+v, %v: want the ready report of pid 42", ev, ok)
	}
}
