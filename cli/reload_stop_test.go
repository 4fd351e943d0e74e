//go:build linux

package cli_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/daemonkit/daemonkit/activation"
	"github.com/daemonkit/daemonkit/cli"
	"github.com/daemonkit/daemonkit/internal/testutil"
)

// slowReload is a program whose reload hook runs until its context is cancelled (or a
// minute has passed).
var slowReload = cli.Config{
	Name: "slow",
	Serve: func(ctx context.Context, ready func(string)) error {
		activation.Remaining() // takes what --socket hands it (unserved: no client connects)
		ready("")
		<-ctx.Done()
		return nil
	},
	Reload: func(ctx context.Context) error {
		log := hclog.FromContext(ctx)
		log.Info("reload hook began")
		select {
		case <-ctx.Done():
			log.Info("reload hook saw its context cancelled")
			return ctx.Err()
		case <-time.After(time.Minute):
			return nil
		}
	},
}

// TestStopDuringSlowReload: a stop that comes while the reload hook runs is not held up
// by it, and cancels its context, whether the daemon runs the work itself or, with
// --socket, as its child: the stop needs no SIGKILL, and the hook saw its context end.
func TestStopDuringSlowReload(t *testing.T) {
	for _, extra := range [][]string{nil, {"--socket", "tcp:127.0.0.1:0"}} {
		t.Run(strings.Join(append([]string{"work"}, extra...), " "), func(t *testing.T) {
			state := t.TempDir()
			command := programIn(t, state, "CLI_TEST_SLOW_RELOAD")
			args := append([]string{"start", "-d", "--name", "s", "--shutdown-timeout", "20s"}, extra...)
			if out, err := command(args...).CombinedOutput(); err != nil {
				t.Fatalf("start -d: %v\n%s", err, out)
			}
			if out, err := command("reload", "--name", "s").CombinedOutput(); err != nil {
				t.Fatalf("reload: %v\n%s", err, out)
			}
			logPath := filepath.Join(state, "s.log")
			testutil.WaitFor(t, "the reload hook to begin", func() bool {
				b, _ := os.ReadFile(logPath)
				return strings.Contains(string(b), "reload hook began")
			})
			out, err := command("stop", "--name", "s").CombinedOutput()
			log, _ := os.ReadFile(logPath)
			if err != nil || !strings.HasPrefix(string(out), "stopped s ") || strings.Contains(string(out), "SIGKILL") {
				t.Fatalf("stop: %v\n%s\nlog:\n%s", err, out, log)
			}
			if !strings.Contains(string(log), "reload hook saw its context cancelled") {
				t.Errorf("the hook's context was not cancelled by the stop; log:\n%s", log)
			}
		})
	}
}
