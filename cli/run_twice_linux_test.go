//go:build linux

package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/daemonkit/daemonkit/cli"
	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/daemonkit/daemonkit/internal/testutil"
)

// runTwoAtOnce is a program whose main runs two commands at once, each through Run, from
// two goroutines: a status of another instance beside the command line's own. In the
// daemon, Init has made both Run calls the daemon's.
func runTwoAtOnce() {
	cli.Init()
	other := make(chan int, 1)
	go func() { other <- cli.Run(embedded, []string{"status", "--name", "other"}) }()
	code := cli.Run(embedded, os.Args[1:])
	<-other
	os.Exit(code)
}

// TestRunTwiceAtOnceInTheDaemon: a daemon whose program calls Run twice at once runs the
// daemon once, rather than twice in one process, whose second lock of the pidfile found
// the first holding it: start then said "already running (pid N)" of its own daemon,
// exit 3, and left the daemon gone and its pidfile behind.
func TestRunTwiceAtOnceInTheDaemon(t *testing.T) {
	state := t.TempDir()
	command := programIn(t, state, "CLI_TEST_RUN_TWO_AT_ONCE")
	t.Setenv("GORACE", testutil.GORACE())
	for _, strategy := range []string{"reexec", "setsid"} {
		name := "twice-" + strategy
		out, err := command("start", "-d", "--strategy", strategy, "--name", name).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "started "+name) {
			t.Fatalf("start -d --strategy %s: %v\n%s", strategy, err, out)
		}
		rec, err := instance.ReadRecord(filepath.Join(state, name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		if out, err := command("status", "--name", name).CombinedOutput(); err != nil {
			t.Errorf("status: %v\n%s", err, out)
		}
		if out, err := command("stop", "--name", name).CombinedOutput(); err != nil || !strings.Contains(string(out), "stopped "+name) {
			t.Errorf("stop: %v\n%s", err, out)
		}
		if alive, _ := proc.Running(rec.PID); alive {
			t.Errorf("%s: the daemon, pid %d, still runs after stop", strategy, rec.PID)
		}
	}
}
