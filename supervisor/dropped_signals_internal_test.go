package supervisor

import (
	"bytes"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
)

// TestDroppedSignalsBounded: a loop of signals while the program is down (a WINCH at each
// resize of a window, 19,000 of them in 3s) cost the log a line each, 4 MB. The first is
// said in full, the others counted, at most a line a second, and once the program is ready.
func TestDroppedSignalsBounded(t *testing.T) {
	var buf bytes.Buffer
	log := hclog.New(&hclog.LoggerOptions{Output: &buf})
	s := New(Config{}, &buf)
	now := time.Now()
	s.dropped.now = func() time.Time { return now }
	s.mu.Lock()
	s.log = log
	s.mu.Unlock()
	lines := func() int { return strings.Count(buf.String(), "\n") }
	for range 10000 {
		s.Forward(syscall.SIGWINCH) // none runs: not passed on
	}
	if n := lines(); n != 1 || !strings.Contains(buf.String(), "signal not passed on: ") {
		t.Fatalf("10000 signals not passed on within a second made %d log lines, want 1:\n%.500s", n, buf.String())
	}
	now = now.Add(droppedEvery)
	s.Forward(syscall.SIGUSR2)
	if n := lines(); n != 2 || !strings.Contains(buf.String(), "more signals not passed on: the program is not running, or its restart is not ready yet: count=10000 SIGUSR2=1 SIGWINCH=9999") {
		t.Fatalf("a second later: %d lines, want 2, the second with the count:\n%.1000s", n, buf.String())
	}
	s.Forward(syscall.SIGWINCH)
	s.dropped.ready(log)
	if n := lines(); n != 3 || !strings.Contains(buf.String(), "more signals were not passed on while the program was not ready: count=1 SIGWINCH=1") {
		t.Fatalf("once ready: %d lines, want 3, the last with the count:\n%.1000s", n, buf.String())
	}
	s.dropped.ready(log) // none since: nothing to say
	s.Forward(syscall.SIGTTIN)
	if n := lines(); n != 4 || !strings.Contains(buf.String(), "signal not passed on: the program is not running, or its restart is not ready yet; send it again once this log says the program is ready: signal=SIGTTIN") {
		t.Fatalf("down again: %d lines, want 4, the first of this time down in full:\n%.1000s", n, buf.String())
	}
	s.Forward(syscall.SIGWINCH)
	s.dropped.ended(log)
	if n := lines(); n != 5 || !strings.Contains(buf.String(), "more signals were not passed on before the supervisor ended: count=1 SIGWINCH=1") {
		t.Fatalf("at the end: %d lines, want 5, the last with the count:\n%.1000s", n, buf.String())
	}
	s.dropped.ended(log) // none since: nothing to say
	if n := lines(); n != 5 {
		t.Fatalf("at a second end: %d lines, want 5", n)
	}
}
