//go:build linux

package cli_test

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/daemonkit/daemonkit/cli"
	"github.com/daemonkit/daemonkit/internal/scripttest"
	"github.com/daemonkit/daemonkit/internal/testutil"
)

// runWithoutInit is a program that calls Run with a start -d of its own, and neither Main
// nor Init first, as a test binary without the TestMain embedding.md shows does: the
// daemon, this binary run again, calls Run the same way.
func runWithoutInit(state string) {
	os.Exit(cli.Run(embedded, []string{"--state-dir", state, "--log-dir", state, "start", "-d", "--name", "x", "--ready-timeout", "3s"}))
}

// TestRunWithoutInit: the daemon of a program that called neither Main nor Init says so at
// once, and start -d quotes it, with every strategy: the daemon once ran the start again,
// which waited for the first start until its ready timeout and said only that.
func TestRunWithoutInit(t *testing.T) {
	for _, strategy := range []string{"reexec", "setsid", "nohup"} {
		t.Run(strategy, func(t *testing.T) {
			t.Parallel()
			state := t.TempDir()
			t.Cleanup(func() { scripttest.KillDaemonsUnder(t.Log, state) })
			cmd := exec.Command(os.Args[0])
			cmd.Env = testutil.Environ("CLI_TEST_NO_INIT="+state, "EMBEDDED_STRATEGY="+strategy)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 1 {
				t.Fatalf("start -d: %v, want exit 1\n%s", err, out)
			}
			if !strings.Contains(string(out), "but the program called neither cli.Main nor cli.Init first") {
				t.Errorf("start -d did not say what the daemon lacked:\n%s", out)
			}
		})
	}
}
