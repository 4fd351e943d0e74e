package server

import (
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/daemonkit/daemonkit/internal/testutil"
)

// panicsHere panics, for TestRecoveredStack to find its frame.
//
//go:noinline
func panicsHere() error { panic("on purpose") }

// callsPanicker is the program's frame below the one that panicked.
//
//go:noinline
func callsPanicker() error { return panicsHere() }

// TestRecoveredStack: the stack Recovered logs runs from the frame that panicked to what
// the function it was given called (that function is daemonkit's own, which runs the
// program's), so that the last lines of the log, which a failed start quotes,
// are the program's own frames, not the recover's, the runtime's or daemonkit's below.
func TestRecoveredStack(t *testing.T) {
	buf := &testutil.Buffer{}
	err := Recovered(hclog.New(&hclog.LoggerOptions{Output: buf}), "the workload", func() error { return callsPanicker() })
	if err == nil || !strings.Contains(err.Error(), "panic: on purpose [in github.com/daemonkit/daemonkit/server.panicsHere at ") {
		t.Errorf("Recovered = %v", err)
	}
	log := buf.String()
	for _, want := range []string{"goroutine ", "server.panicsHere(", "server.callsPanicker("} {
		if !strings.Contains(log, want) {
			t.Errorf("the logged stack lacks %q:\n%s", want, log)
		}
	}
	for _, unwanted := range []string{"runtime/debug.Stack(", "panic(", "server.TestRecoveredStack.func1(", "server.Recovered(", "testing.tRunner("} {
		if strings.Contains(log, unwanted) {
			t.Errorf("the logged stack has %q:\n%s", unwanted, log)
		}
	}
}
