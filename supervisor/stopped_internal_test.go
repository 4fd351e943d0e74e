package supervisor

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/daemonkit/daemonkit/internal/testutil"
	"github.com/daemonkit/daemonkit/server"
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

// TestStoppedDownSaysWhen: a stop that came while no copy ran says when, as the record
// does: as its copy ended (the rest of a copy whose named main process had ended was being
// stopped), or between restarts; with the stop's own status, 128+N.
func TestStoppedDownSaysWhen(t *testing.T) {
	for _, when := range []string{"as its copy ended", "between restarts"} {
		ctx, cancel := context.WithCancelCause(context.Background())
		cancel(server.Stopped{Signal: syscall.SIGTERM})
		r := &run{s: New(Config{StopSignal: syscall.SIGTERM}, nil), ctx: ctx, log: hclog.NewNullLogger()}
		err := r.stoppedDown(when, "exited with status 1")
		want := "program stopped " + when + " by SIGTERM"
		var ended *ExitError
		if !errors.As(err, &ended) || err.Error() != want || ended.ExitCode() != 128+int(syscall.SIGTERM) {
			t.Errorf("stoppedDown(%q) = %v, want %q, exit 143", when, err, want)
		}
	}
}
