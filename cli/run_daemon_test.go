//go:build linux

package cli_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/daemonkit/daemonkit/cli"
	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/daemonkit/daemonkit/internal/testutil"
)

// runThenGoOn is a program that calls Init and Run, as a flag program does, and then goes
// on with work of its own, which says where it runs on stderr (the daemon's log).
func runThenGoOn() {
	cli.Init()
	code := cli.Run(embedded, os.Args[1:])
	fmt.Fprintf(os.Stderr, "went on after Run in pid %d\n", os.Getpid())
	os.Exit(code)
}

// TestRunExitsInTheDaemon: in the daemon, Run exits the process once the daemon ends
// rather than return into the program's own code, which would run in a process that has
// given its pidfile up (and, in a loop, start daemons from the daemon).
func TestRunExitsInTheDaemon(t *testing.T) {
	state := t.TempDir()
	command := programIn(t, state, "CLI_TEST_RUN_THEN_GO_ON")
	t.Setenv("GORACE", testutil.GORACE())
	for _, strategy := range []string{"reexec", "setsid", "nohup"} {
		run := func(args ...string) string {
			t.Helper()
			out, err := command(args...).CombinedOutput()
			if err != nil {
				t.Fatalf("%v: %v\n%s", args, err, out)
			}
			return string(out)
		}
		name := "goon-" + strategy
		if out := run("start", "-d", "--strategy", strategy, "--name", name); !strings.Contains(out, "went on after Run") {
			t.Fatalf("start: the launching program did not go on after Run:\n%s", out)
		}
		rec, err := instance.ReadRecord(filepath.Join(state, name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		run("stop", "--name", name)
		if alive, _ := proc.Running(rec.PID); alive {
			t.Errorf("%s: the daemon, pid %d, still runs after stop", strategy, rec.PID)
		}
		log, err := os.ReadFile(filepath.Join(state, name+".log"))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(log), "went on after Run") {
			t.Errorf("%s: the daemon went on after Run:\n%s", strategy, log)
		}
	}
}
