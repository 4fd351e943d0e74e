//go:build linux

package cli_test

import (
	"bytes"
	"context"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/daemonkit/daemonkit/cli"
	"github.com/daemonkit/daemonkit/internal/scripttest"
	"github.com/daemonkit/daemonkit/internal/testutil"
	_ "github.com/daemonkit/daemonkit/strategy/all"
)

// embedded is the program these tests embed the commands in: a serve function that says
// ready and waits to be stopped.
var embedded = cli.Config{
	Name: "embedded",
	Serve: func(ctx context.Context, ready func(string)) error {
		ready("")
		<-ctx.Done()
		return nil
	},
}

// TestMain makes the test binary the embedding program's daemon when start -d runs it
// again (Main recognises the hidden first argument); otherwise it runs the tests.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && strings.HasPrefix(os.Args[1], "_") {
		cli.Main(embedded)
	}
	os.Exit(m.Run())
}

// TestLeavesTheProcessAsItFound runs start -d and stop inside a long-lived program that
// has signal handlers of its own, with every strategy: afterwards its SIGHUP, SIGINT and
// SIGTERM handlers still receive, none of those signals is left ignored, and it is no
// longer a child subreaper.
func TestLeavesTheProcessAsItFound(t *testing.T) {
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	state := t.TempDir()
	t.Cleanup(func() { scripttest.KillDaemonsUnder(t.Log, state) })
	t.Setenv("GORACE", testutil.GORACE()) // for the daemons: a -race binary exits at once
	for _, strategy := range []string{"nohup", "reexec", "setsid"} {
		var out, errs bytes.Buffer
		cfg := embedded
		cfg.Stdout, cfg.Stderr = &out, &errs
		args := []string{"--state-dir", state, "start", "-d", "--strategy", strategy, "--name", strategy,
			"--log", filepath.Join(state, strategy+".log")}
		if code := cli.Run(cfg, args); code != 0 {
			t.Fatalf("start -d --strategy %s: exit %d: %s", strategy, code, errs.String())
		}
		for _, sig := range []syscall.Signal{syscall.SIGHUP, syscall.SIGINT, syscall.SIGTERM} {
			if signal.Ignored(sig) {
				t.Errorf("%s: %v is ignored after start returned", strategy, sig)
			}
			if err := unix.Kill(os.Getpid(), sig); err != nil {
				t.Fatal(err)
			}
			select {
			case got := <-sigs:
				if got != sig {
					t.Errorf("%s: got %v, want %v", strategy, got, sig)
				}
			case <-time.After(testutil.Deadline):
				t.Fatalf("%s: the program's own %v handler no longer receives it", strategy, sig)
			}
		}
		var subreaper int32
		if err := unix.Prctl(unix.PR_GET_CHILD_SUBREAPER, uintptr(unsafe.Pointer(&subreaper)), 0, 0, 0); err != nil || subreaper != 0 {
			t.Errorf("%s: still a child subreaper (%d, %v)", strategy, subreaper, err)
		}
		if code := cli.Run(cfg, []string{"--state-dir", state, "stop", "--name", strategy}); code != 0 || !strings.HasPrefix(out.String(), "started "+strategy) || !strings.Contains(out.String(), "stopped "+strategy) {
			t.Fatalf("stop: exit %d: %s%s", code, out.String(), errs.String())
		}
	}
}
