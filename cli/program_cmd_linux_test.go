//go:build linux

package cli_test

import (
	"os"
	"os/exec"
	"testing"

	"github.com/daemonkit/daemonkit/internal/scripttest"
	"github.com/daemonkit/daemonkit/internal/testutil"
)

// programIn returns the commands of the test binary run as the program that selectVar (an
// environment variable TestMain reads, set to 1) chooses, each with the state and log
// directory state. Every daemon it started is stopped, by pid, when the test ends.
func programIn(t *testing.T, state, selectVar string) func(args ...string) *exec.Cmd {
	t.Cleanup(func() { scripttest.KillDaemonsUnder(t.Log, state) })
	return func(args ...string) *exec.Cmd {
		cmd := exec.Command(os.Args[0], append([]string{"--state-dir", state, "--log-dir", state}, args...)...)
		cmd.Env = testutil.Environ(selectVar + "=1")
		return cmd
	}
}
