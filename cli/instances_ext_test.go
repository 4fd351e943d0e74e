//go:build linux

package cli_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/daemonkit/daemonkit/cli"
	"github.com/daemonkit/daemonkit/internal/scripttest"
	"github.com/daemonkit/daemonkit/internal/testutil"
)

// run runs the embedded program's command line in this process, and returns its exit
// code, stdout and stderr.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errs bytes.Buffer
	cfg := embedded
	cfg.Stdout, cfg.Stderr = &out, &errs
	code := cli.Run(cfg, args)
	return code, out.String(), errs.String()
}

// TestAllInProcess drives list, stop --all and restart --all inside an embedding program
// (under -race, the parallel work of --all is checked for races): each instance is
// reported on its own line, once.
func TestAllInProcess(t *testing.T) {
	state := t.TempDir()
	t.Cleanup(func() { scripttest.KillDaemonsUnder(t.Log, state) })
	t.Setenv("GORACE", testutil.GORACE())
	names := []string{"a", "b", "c"}
	for _, name := range names {
		if code, _, errs := run(t, "--state-dir", state, "--log-dir", state, "start", "-d", "--strategy", "setsid", "--name", name); code != 0 {
			t.Fatalf("start %s: exit %d: %s", name, code, errs)
		}
	}
	// a stopped one too: it keeps its record
	if code, _, errs := run(t, "--state-dir", state, "--log-dir", state, "stop", "--name", "c"); code != 0 {
		t.Fatalf("stop c: exit %d: %s", code, errs)
	}

	code, out, errs := run(t, "--state-dir", state, "--log-dir", state, "list", "--json")
	if code != 0 {
		t.Fatalf("list: exit %d: %s", code, errs)
	}
	var rows []struct {
		Name, State string
		PID         int
		Command     []string
	}
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("list --json: %v\n%s", err, out)
	}
	if len(rows) != 3 || rows[0].Name != "a" || rows[0].State != "running" || rows[0].PID < 2 ||
		rows[2].Name != "c" || rows[2].State != "stopped" || rows[2].PID != 0 || strings.Join(rows[2].Command, " ") != "embedded" {
		t.Fatalf("list --json: %+v", rows)
	}

	if code, _, errs := run(t, "--state-dir", state, "--log-dir", state, "status"); code != 2 || !strings.Contains(errs, "several instances: a, b, c: give the instance's name, as in 'embedded status --state-dir "+state+" a'\n") {
		t.Fatalf("status with several instances: exit %d: %s", code, errs)
	}

	code, out, errs = run(t, "--state-dir", state, "--log-dir", state, "restart", "--all")
	if code != 0 {
		t.Fatalf("restart --all: exit %d: %s%s", code, out, errs)
	}
	for _, want := range []string{"stopped a (pid ", "started a (pid ", "stopped b (pid ", "started b (pid ", "started c (was stopped; pid "} {
		if strings.Count(out, want) != 1 {
			t.Errorf("restart --all: want one %q in:\n%s", want, out)
		}
	}
	code, out, errs = run(t, "--state-dir", state, "--log-dir", state, "stop", "--all")
	if code != 0 || strings.Count(out, "\n") != 3 || strings.Count(out, "stopped ") != 3 {
		t.Fatalf("stop --all: exit %d:\n%s%s", code, out, errs)
	}
}

// TestLogsFollowUntilSIGTERM: logs -f prints the last lines, then what is appended, and
// returns 0 on SIGTERM (the script logs_follow checks SIGINT).
func TestLogsFollowUntilSIGTERM(t *testing.T) {
	state := t.TempDir()
	log := filepath.Join(state, "x.log")
	if err := os.WriteFile(log, []byte("one\ntwo\nthree\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	var out, errs testutil.Buffer
	cfg := embedded
	cfg.Stdout, cfg.Stderr = &out, &errs
	done := make(chan int, 1)
	go func() {
		done <- cli.Run(cfg, []string{"--state-dir", state, "--log-dir", state, "logs", "-f", "-n", "2", "--name", "x"})
	}()
	testutil.WaitFor(t, "the last two lines", func() bool { return out.String() == "two\nthree\n" })

	f, err := os.OpenFile(log, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("four\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	testutil.WaitFor(t, "the line appended", func() bool { return out.String() == "two\nthree\nfour\n" })

	// logs -f handles SIGTERM now (it follows): the signal ends it, not this test.
	if err := unix.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := testutil.Receive(t, done, "logs -f to end after SIGTERM"); code != 0 {
		t.Fatalf("logs -f after SIGTERM: exit %d: %s", code, errs.String())
	}
}
