package cli_test

import (
	"flag"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/daemonkit/daemonkit/cli"
	"github.com/daemonkit/daemonkit/internal/scripttest"
	"github.com/daemonkit/daemonkit/internal/testutil"
)

// initAfterParse is a flag program that calls Init after flag.Parse rather than before:
// in its daemon, flag.Parse reads the hidden command, not start's arguments.
func initAfterParse() {
	flag.Parse()
	cli.Init()
	os.Exit(cli.Run(embedded, flag.Args()))
}

// TestInitAfterFlagParse: a daemon whose program called Init after flag.Parse, and so
// would serve with every flag at its default, exits saying so, and start -d fails (exit 1)
// quoting it, with every strategy; nothing is left running.
func TestInitAfterFlagParse(t *testing.T) {
	state := t.TempDir()
	t.Cleanup(func() { scripttest.KillDaemonsUnder(t.Log, state) })
	for _, strategy := range []string{"reexec", "setsid", "nohup"} {
		cmd := exec.Command(os.Args[0], "start", "-d", "--state-dir", state, "--log-dir", state,
			"--strategy", strategy, "--name", "late-"+strategy)
		cmd.Env = testutil.Environ("CLI_TEST_INIT_AFTER_PARSE=1")
		out, err := cmd.CombinedOutput()
		if code := cmd.ProcessState.ExitCode(); code != 1 || !strings.Contains(string(out), "cli.Init() was called after flag.Parse") {
			t.Errorf("%s: start -d: exit %d (%v), want 1 naming the mistake:\n%s", strategy, code, err, out)
		}
	}
}
