//go:build linux

package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/internal/scripttest"
	"github.com/daemonkit/daemonkit/internal/testutil"
)

// embeddedIn returns a runner of this test binary as the embedding program (cli_test's
// TestMain, CLI_TEST_PROGRAM) with state as its state and log directory, whose daemons
// are killed when the test ends, and the paths of its instance name there.
func embeddedIn(t *testing.T, name string) (run func(args ...string), paths instance.Paths) {
	t.Helper()
	state := t.TempDir()
	t.Cleanup(func() { scripttest.KillDaemonsUnder(t.Log, state) })
	paths, err := instance.Layout{StateDir: state}.Resolve(name, "", "")
	if err != nil {
		t.Fatal(err)
	}
	return func(args ...string) {
		t.Helper()
		cmd := exec.Command(os.Args[0], append([]string{"--state-dir", state, "--log-dir", state}, args...)...)
		cmd.Env = testutil.Environ("CLI_TEST_PROGRAM=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
	}, paths
}

// runInProcess runs this package's Run, as cli_test's embedded program (whose daemons
// embeddedIn's run starts), on the state directory of paths, with args; it returns the
// exit code, stdout and stderr.
func runInProcess(paths instance.Paths, args ...string) (code int, stdout, stderr string) {
	var out, errs bytes.Buffer
	cfg := Config{Name: "embedded", Stdout: &out, Stderr: &errs,
		Serve: func(context.Context, func(string)) error {
			return errors.New("not this one: cli_test's embedded serves")
		}}
	state := filepath.Dir(paths.PIDFile)
	code = Run(cfg, append([]string{"--state-dir", state, "--log-dir", state}, args...))
	return code, out.String(), errs.String()
}

// TestSignalJudgedNothingLookedAt: a reload whose look found the instance not running,
// or could not tell, signals nothing, whatever runs by the time it would signal (a start
// meanwhile): nothing judged that daemon (its --reload-check, its record's signal).
func TestSignalJudgedNothingLookedAt(t *testing.T) {
	run, paths := embeddedIn(t, "web")
	st, err := instance.Inspect(paths)
	if err != nil || st.Running() {
		t.Fatalf("Inspect before the start = running %v, %v; want not running", st.Running(), err)
	}
	run("start", "-d", "--name", "web") // meanwhile
	if pid, err := signalJudged(paths, st, nil, syscall.SIGUSR1); pid != 0 || !errors.Is(err, instance.ErrNotRunning) {
		t.Errorf("signalJudged(a look that found it not running) = %d, %v; want ErrNotRunning, nothing signalled", pid, err)
	}
	cannot := errors.New("cannot tell")
	if pid, err := signalJudged(paths, instance.Status{Paths: paths}, cannot, syscall.SIGUSR1); pid != 0 || !errors.Is(err, cannot) {
		t.Errorf("signalJudged(a look that could not tell) = %d, %v; want its error, nothing signalled", pid, err)
	}
	now, err := instance.Inspect(paths)
	if err != nil || !now.Running() {
		t.Fatalf("Inspect after the start = running %v, %v", now.Running(), err)
	}
	if pid, err := signalJudged(paths, now, nil, syscall.SIGUSR1); pid != now.PID() || err != nil {
		t.Errorf("signalJudged(a look that found it) = %d, %v; want %d", pid, err, now.PID())
	}
}

// TestAskReopenOfTheDaemonAsked: what reopen judges its wait by (its daemon's descriptor
// of its log, the count of its failed reopens) is the record of the daemon it asked, not
// of one that a restart replaced between its look and its signal.
func TestAskReopenOfTheDaemonAsked(t *testing.T) {
	run, paths := embeddedIn(t, "web")
	run("start", "-d", "--name", "web")
	first, err := instance.Inspect(paths)
	if err != nil || !first.Running() || first.Record == nil {
		t.Fatalf("Inspect after the start = running %v, record %v, %v", first.Running(), first.Record != nil, err)
	}
	testHookReopenLooked = func() {
		testHookReopenLooked = nil
		run("restart", "--name", "web") // meanwhile: another daemon, with a record of its own
	}
	t.Cleanup(func() { testHookReopenLooked = nil })
	asked, err := askReopen(paths)
	now, ierr := instance.Inspect(paths)
	if ierr != nil || !now.Running() || now.PID() == first.PID() {
		t.Fatalf("Inspect after the restart = pid %d, %v; want another pid than %d", now.PID(), ierr, first.PID())
	}
	if err != nil || asked.pid != now.PID() {
		t.Fatalf("askReopen = pid %d, %v; want the daemon running now, pid %d", asked.pid, err, now.PID())
	}
	if asked.rec == nil || !asked.rec.Names(asked.pid) || asked.logFD != asked.rec.LogFD {
		judged := 0
		if asked.rec != nil {
			judged = asked.rec.PID
		}
		t.Errorf("askReopen asked pid %d, and judged by the record of pid %d; want its own", asked.pid, judged)
	}
}

// TestRestartOptionsOfTheRunItRestarts: a restart restarts the instance with the options
// it runs with as it takes the start lock: a stop and a start with other options, between
// its read of the record and its lock, are not undone by a restart with the earlier ones.
func TestRestartOptionsOfTheRunItRestarts(t *testing.T) {
	run, paths := embeddedIn(t, "web")
	run("start", "-d", "--name", "web", "--shutdown-timeout", "11s")
	testHookRestartRead = func() {
		testHookRestartRead = nil
		run("stop", "--name", "web") // meanwhile: started again, with another option
		run("start", "-d", "--name", "web", "--shutdown-timeout", "13s")
	}
	t.Cleanup(func() { testHookRestartRead = nil })
	code, out, errs := runInProcess(paths, "restart", "--name", "web")
	if code != 0 {
		t.Fatalf("restart: exit %d: %s", code, errs)
	}
	rec, err := instance.ReadRecord(paths.Record)
	if err != nil {
		t.Fatal(err)
	}
	var req request
	if err := json.Unmarshal(rec.Request, &req); err != nil {
		t.Fatal(err)
	}
	if req.ShutdownTimeout != 13*time.Second {
		t.Errorf("restarted with --shutdown-timeout %v, want 13s, the run's it restarted (stdout %q)", req.ShutdownTimeout, out)
	}
}

// TestRestartPortsOfTheRunItRestarts: a run started meanwhile with the same options but
// another port (--socket tcp:...:0, resolved at each start) is restarted on its own port,
// the one its clients use, not on the port of the run restart first read of.
func TestRestartPortsOfTheRunItRestarts(t *testing.T) {
	run, paths := embeddedIn(t, "web")
	start := []string{"start", "-d", "--name", "web", "--socket", "tcp:127.0.0.1:0", "--", "sleep", "1000"}
	run(start...)
	var found []string // the ports of the run restart finds
	testHookRestartRead = func() {
		testHookRestartRead = nil
		run("stop", "--name", "web") // meanwhile: started again, on another port
		run(start...)
		rec, err := instance.ReadRecord(paths.Record)
		if err != nil {
			t.Error(err)
		}
		found = rec.Sockets
	}
	t.Cleanup(func() { testHookRestartRead = nil })
	if code, _, errs := runInProcess(paths, "restart", "--name", "web"); code != 0 {
		t.Fatalf("restart: exit %d: %s", code, errs)
	}
	rec, err := instance.ReadRecord(paths.Record)
	if err != nil {
		t.Fatal(err)
	}
	if len(found) == 0 || !slices.Equal(rec.Sockets, found) {
		t.Errorf("restarted on %v, want %v, the ports of the run it restarted", rec.Sockets, found)
	}
}

// TestDeleteStartedMeanwhile: a start that runs its daemon while delete removes a stopped
// instance's files is not told "deleted": the new run's files are kept (each is checked
// again before it is removed), and delete says so, exit 1.
func TestDeleteStartedMeanwhile(t *testing.T) {
	run, paths := embeddedIn(t, "web")
	run("start", "-d", "--name", "web")
	run("stop", "--name", "web")
	var claims []string // the new run's log claims
	testHookDeleteRemoved = func() {
		testHookDeleteRemoved = nil
		run("start", "-d", "--name", "web") // meanwhile
		claims, _ = filepath.Glob(filepath.Join(filepath.Dir(paths.PIDFile), ".log-*.claim"))
	}
	t.Cleanup(func() { testHookDeleteRemoved = nil })
	code, out, errs := runInProcess(paths, "delete", "web")
	st, err := instance.Inspect(paths)
	if err != nil || !st.Running() {
		t.Fatalf("Inspect after the start = running %v, %v", st.Running(), err)
	}
	if code != exitFailed || out != "" || !strings.Contains(errs, "web started meanwhile") {
		t.Errorf("delete of an instance started meanwhile: exit %d, stdout %q, stderr %q; want exit 1, saying it started meanwhile", code, out, errs)
	}
	if _, err := os.Stat(paths.Record); err != nil {
		t.Errorf("the new run's record: %v", err)
	}
	if len(claims) == 0 {
		t.Fatal("the new run made no log claim")
	}
	for _, c := range claims { // another start of its log would be let write it too
		if _, err := os.Stat(c); err != nil {
			t.Errorf("the new run's log claim: %v", err)
		}
	}
}
