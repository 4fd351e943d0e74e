package cli_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/alecthomas/kong"

	"github.com/daemonkit/daemonkit/cli"
	"github.com/daemonkit/daemonkit/internal/scripttest"
	"github.com/daemonkit/daemonkit/internal/testutil"
	"github.com/daemonkit/daemonkit/launcher"
	"github.com/daemonkit/daemonkit/pidfile"
)

// nestedGrammar holds daemonkit's commands under a command of the program's own, as a
// program with its own Kong grammar may: app daemon start -d.
type nestedGrammar struct {
	Daemon struct {
		cli.Commands
	} `cmd:"" help:"Run as a daemon."`
}

// runNested parses args with cfg's commands nested in a Kong grammar of the program's
// own, runs the command, and returns the exit code cfg.Exit gives its error, and the error.
func runNested(t *testing.T, cfg cli.Config, args ...string) (int, error) {
	t.Helper()
	var g nestedGrammar
	var out, errs bytes.Buffer
	cfg.Stdout, cfg.Stderr = &out, &errs
	parser, err := kong.New(&g, append(cfg.KongOptions(&g.Daemon.Commands), kong.Name(cfg.Name))...)
	if err != nil {
		t.Fatal(err)
	}
	kctx, err := parser.Parse(args)
	if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	err = kctx.Run()
	code := cfg.Exit(err)
	t.Logf("%v: exit %d, %v\n%s%s", args, code, err, out.String(), errs.String())
	return code, err
}

// TestStartErrorsMatchSentinels: a program that embeds the commands in its own Kong
// grammar tells from kctx.Run()'s error, with errors.Is, that start failed because the
// instance runs already (exit 3), or because its serve function failed before it was
// ready (exit 1), detached and in the foreground alike.
func TestStartErrorsMatchSentinels(t *testing.T) {
	state := t.TempDir()
	t.Cleanup(func() { scripttest.KillDaemonsUnder(t.Log, state) })
	t.Setenv("GORACE", testutil.GORACE())
	if code := cli.Run(embedded, []string{"--state-dir", state, "--log-dir", state, "start", "-d", "--name", "up"}); code != 0 {
		t.Fatalf("start -d: exit %d", code)
	}
	for _, detach := range []string{"-d", "--detach=false"} {
		code, err := runNested(t, embedded, "daemon", "start", detach, "--state-dir", state, "--log-dir", state, "--name", "up")
		if !errors.Is(err, cli.ErrAlreadyRunning) || !errors.Is(err, pidfile.ErrLocked) || code != 3 {
			t.Errorf("start %s of an instance that runs: %v, exit %d; want errors.Is cli.ErrAlreadyRunning and pidfile.ErrLocked, exit 3", detach, err, code)
		}
		if errors.Is(err, cli.ErrServeFailed) {
			t.Errorf("start %s of an instance that runs: %v matches cli.ErrServeFailed", detach, err)
		}
	}

	t.Setenv("CLI_TEST_FAILING", "1") // the daemon start -d makes of this binary runs failing's work
	code, err := runNested(t, failing, "daemon", "start", "-d", "--state-dir", state, "--log-dir", state, "--name", "f")
	if !errors.Is(err, cli.ErrServeFailed) || !errors.Is(err, launcher.ErrWorkFailed) || code != 1 {
		t.Errorf("start -d of a serve function that fails: %v, exit %d; want errors.Is cli.ErrServeFailed, exit 1", err, code)
	}
	if errors.Is(err, cli.ErrAlreadyRunning) {
		t.Errorf("start -d of a serve function that fails: %v matches cli.ErrAlreadyRunning", err)
	}

	errMine := errors.New("open the database: it is locked")
	fails := cli.Config{Name: "fails", Serve: func(context.Context, func(string)) error { return fmt.Errorf("serve: %w", errMine) }}
	code, err = runNested(t, fails, "daemon", "start", "--state-dir", state, "--log-dir", state, "--name", "g")
	if !errors.Is(err, cli.ErrServeFailed) || !errors.Is(err, errMine) || code != 1 {
		t.Errorf("start in the foreground of a serve function that fails: %v, exit %d; want errors.Is cli.ErrServeFailed and its own error, exit 1", err, code)
	}
}
