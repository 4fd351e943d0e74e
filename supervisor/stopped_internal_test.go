package supervisor

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/daemonkit/daemonkit/internal/testutil"
)

// TestAwaitRunningSaysGoesOn: a stop that watchStopped reported, and that SIGCONT ended
// between the check's pass and awaitRunning's first look, is followed by "the program
// goes on" all the same (watchStopped is called off by then), and only once though both
// see it go on.
func TestAwaitRunningSaysGoesOn(t *testing.T) {
	cmd := exec.Command("sleep", "1000")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	var logged testutil.Buffer
	ctx := context.Background()
	r := &run{s: New(Config{ReadyInterval: 10 * time.Millisecond}, nil), ctx: ctx, log: hclog.New(&hclog.LoggerOptions{Output: &logged})}
	p := &program{pid: cmd.Process.Pid}

	r.sayStopped(p) // as watchStopped does while it is stopped; SIGCONT follows
	if err := r.awaitRunning(ctx, p); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(logged.String(), "the program goes on"); n != 1 {
		t.Errorf("logged %q: 'the program goes on' %d times, want once", logged.String(), n)
	}
	r.sayGoesOn(p) // as watchStopped would, were it not called off yet
	if n := strings.Count(logged.String(), "the program goes on"); n != 1 {
		t.Errorf("logged %q: 'the program goes on' %d times once watchStopped saw it too, want once", logged.String(), n)
	}

	// A copy never reported stopped goes on without a word.
	q := &program{pid: cmd.Process.Pid}
	before := logged.String()
	if err := r.awaitRunning(ctx, q); err != nil {
		t.Fatal(err)
	}
	if logged.String() != before {
		t.Errorf("logged %q of a copy never stopped", strings.TrimPrefix(logged.String(), before))
	}
}
