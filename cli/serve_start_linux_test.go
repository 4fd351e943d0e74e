//go:build linux

package cli_test

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/daemonkit/daemonkit/activation"
	"github.com/daemonkit/daemonkit/cli"
	"github.com/daemonkit/daemonkit/server"
)

// slowReadyTimeout is the --ready-timeout TestServeStartsSlowly gives slowStart: long
// enough that a daemon on a loaded machine says its status and asks for more time before
// it ends, which the test needs; it is not a bound on anything being measured.
const slowReadyTimeout = 1500 * time.Millisecond

// slowStart is a program whose serve function says what it does and asks for more time
// than --ready-timeout gives it, then, unless CLI_TEST_NEVER_READY is set, says ready once
// it has taken longer than that timeout.
var slowStart = cli.Config{
	Name: "slowstart",
	Serve: func(ctx context.Context, ready func(string)) error {
		server.StartStatus(ctx, "loading the index")
		if os.Getenv("CLI_TEST_NEVER_READY") != "" {
			<-ctx.Done()
			return nil
		}
		server.ExtendStart(ctx, time.Minute)
		// The slow start itself: start's timer began before ExtendStart was said, so the
		// ready below comes after --ready-timeout would have ended the start.
		time.Sleep(slowReadyTimeout)
		activation.Remaining()
		ready("")
		<-ctx.Done()
		return nil
	},
}

// TestServeStartsSlowly: server.ExtendStart gives a serve function the time it asks for,
// and a start that is not ready in time quotes its server.StartStatus, whether the daemon
// runs the work itself or, with --socket, as its child (where both once did nothing).
func TestServeStartsSlowly(t *testing.T) {
	for name, extra := range map[string][]string{"self": nil, "child": {"--socket", "tcp:127.0.0.1:0"}} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			state := t.TempDir()
			command := programIn(t, state, "CLI_TEST_SLOW_START")
			args := append([]string{"start", "-d", "--ready-timeout", slowReadyTimeout.String()}, extra...)
			if out, err := command(append(args, "--name", "x")...).CombinedOutput(); err != nil {
				t.Fatalf("start -d of a serve function that extended its start: %v\n%s", err, out)
			}
			if out, err := command("stop", "--name", "x").CombinedOutput(); err != nil {
				t.Fatalf("stop: %v\n%s", err, out)
			}
			cmd := command(append(args, "--name", "n")...)
			cmd.Env = append(cmd.Env, "CLI_TEST_NEVER_READY=1")
			out, err := cmd.CombinedOutput()
			// Its error's first line quotes the status; log lines (a warning that what the
			// failed start left running was killed, when its timing leaves any) may come first.
			if first := firstNonLogLine(string(out)); err == nil || !strings.Contains(first, "loading the index") {
				t.Errorf("start -d of a serve function never ready: %v, and its error's first line does not quote its status:\n%s", err, out)
			}
		})
	}
}

// firstNonLogLine is the first line of out that is not a log line in go-hclog's text
// format ("TIME [LEVEL] ...").
func firstNonLogLine(out string) string {
	for line := range strings.Lines(out) {
		if !hclogLine.MatchString(line) {
			return strings.TrimSuffix(line, "\n")
		}
	}
	return ""
}

var hclogLine = regexp.MustCompile(`^\S+ \[(TRACE|DEBUG|INFO|WARN|ERROR)\] `)
