//go:build linux

package cli_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/daemonkit/daemonkit/cli"
)

// failing is a program whose serve function fails before it is ready: with an error, or,
// with CLI_TEST_RETURN_NIL set, by returning nil without saying ready.
var failing = cli.Config{
	Name: "failing",
	Serve: func(context.Context, func(string)) error {
		if os.Getenv("CLI_TEST_RETURN_NIL") != "" {
			return nil
		}
		return errors.New("open the database: it is locked")
	},
}

// TestServeFails: the serve function's error before ready is what start -d says, whether
// the daemon runs the work itself or, with --socket, as its child (where start once said
// how the child exited instead).
func TestServeFails(t *testing.T) {
	const why = "open the database: it is locked"
	for name, extra := range map[string][]string{"self": nil, "child": {"--socket", "tcp:127.0.0.1:0"}} {
		t.Run(name, func(t *testing.T) {
			state := t.TempDir()
			command := programIn(t, state, "CLI_TEST_FAILING")
			out, err := command(append([]string{"start", "-d", "--name", "f"}, extra...)...).CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 1 {
				t.Fatalf("start -d: %v, want exit 1\n%s", err, out)
			}
			if first, _, _ := strings.Cut(string(out), "\n"); first != "failing: start f: "+why {
				t.Errorf("start -d said %q, want the serve function's error\n%s", first, out)
			}
			cmd := command(append([]string{"start", "-d", "--name", "n"}, extra...)...)
			cmd.Env = append(cmd.Env, "CLI_TEST_RETURN_NIL=1")
			out, _ = cmd.CombinedOutput()
			if !strings.HasPrefix(string(out), "failing: start n: Serve returned nil before it called ready: ") {
				t.Errorf("start -d of a serve function that returned nil unready said:\n%s", out)
			}
		})
	}
}
