//go:build linux

package launcher_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/daemonkit/daemonkit/launcher"
	"github.com/daemonkit/daemonkit/pidfile"
	"github.com/daemonkit/daemonkit/strategy"
	"github.com/daemonkit/daemonkit/strategy/strategytest"
	"github.com/hashicorp/go-hclog"
)

// TestLaunch runs Launch in this process against the fake daemon, for every strategy.
func TestLaunch(t *testing.T) {
	for _, d := range strategies() {
		t.Run(d.Name, func(t *testing.T) {
			t.Parallel()
			for _, tc := range []struct {
				name string
				fn   func(*testing.T, strategy.Strategy)
			}{
				{"ready", testReady},
				{"already running", testAlreadyRunning},
				{"already running, found by the daemon", testAlreadyRunningReported},
				{"daemon error", testDaemonError},
				{"exits before ready", testExitsBeforeReady},
				{"killed before ready", testKilledBeforeReady},
				{"never ready", testNeverReady},
				{"canceled", testCanceled},
				{"bad workdir", testBadWorkdir},
				{"bad log", testBadLog},
				{"too large to exec", testTooLarge},
			} {
				t.Run(tc.name, func(t *testing.T) { tc.fn(t, d.New()) })
			}
		})
	}
}

func launch(t *testing.T, ctx context.Context, s strategy.Strategy, spec strategy.Spec) (launcher.Result, error) {
	t.Helper()
	log := hclog.New(&hclog.LoggerOptions{Level: hclog.Debug, Output: tWriter{t}})
	res, err := launcher.Launch(ctx, s, spec, log)
	t.Logf("Launch: %+v, %v", res, err)
	return res, err
}

// tWriter sends Launch's debug log to the test's log.
type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

func testReady(t *testing.T, s strategy.Strategy) {
	e := strategytest.New(t)
	res, err := launch(t, context.Background(), s, e.Spec("-listen", "127.0.0.1:7000"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Listen != "127.0.0.1:7000" {
		t.Errorf("Listen = %q", res.Listen)
	}
	st, err := pidfile.Probe(e.PIDFile)
	if err != nil || st.State != pidfile.Running || st.PID != res.PID {
		t.Errorf("pidfile: %+v, %v; want held by %d", st, err, res.PID)
	}
	if pids := e.PIDs(); len(pids) != 1 || pids[0] != res.PID {
		t.Errorf("fake daemons started: %v, want just %d", pids, res.PID)
	}
}

func testAlreadyRunning(t *testing.T, s strategy.Strategy) {
	e := strategytest.New(t)
	first := launchQuiet(t, s, e)
	before := snapshot(t, e)

	_, err := launch(t, context.Background(), s, e.Spec())
	checkAlreadyRunning(t, err, first.PID)
	if after := snapshot(t, e); after != before {
		t.Errorf("something changed: before %+v, after %+v", before, after)
	}
	if pids := e.PIDs(); len(pids) != 1 {
		t.Errorf("fake daemons started: %v, want only the first", pids)
	}
}

// testAlreadyRunningReported has Launch probe a free pidfile while the daemon is told to
// lock the held one: the daemon finds it held and says so.
func testAlreadyRunningReported(t *testing.T, s strategy.Strategy) {
	e := strategytest.New(t)
	first := launchQuiet(t, s, e)
	before := snapshot(t, e)

	spec := e.Spec()
	spec.PIDFile = filepath.Join(e.Dir, "other.pid")
	_, err := launch(t, context.Background(), s, spec)
	checkAlreadyRunning(t, err, first.PID)
	pids := e.PIDs()
	if len(pids) != 2 {
		t.Fatalf("fake daemons started: %v, want two", pids)
	}
	checkGone(t, pids[1])
	if after := snapshot(t, e); after.pidfile != before.pidfile || after.holder != before.holder {
		t.Errorf("the pidfile changed: before %+v, after %+v", before, after)
	}
}

func checkAlreadyRunning(t *testing.T, err error, holder int) {
	t.Helper()
	var locked *pidfile.LockedError
	if !errors.As(err, &locked) || !errors.Is(err, pidfile.ErrLocked) {
		t.Fatalf("err = %v, want a *pidfile.LockedError", err)
	}
	if locked.PID != holder {
		t.Errorf("LockedError.PID = %d, want %d", locked.PID, holder)
	}
	if want := "locked by pid " + strconv.Itoa(holder); !strings.HasSuffix(err.Error(), want) {
		t.Errorf("err = %q, want it to end %q", err, want)
	}
}

// launchQuiet launches the fake daemon and waits until it has written its last log line.
func launchQuiet(t *testing.T, s strategy.Strategy, e *strategytest.Env) launcher.Result {
	t.Helper()
	res, err := launch(t, context.Background(), s, e.Spec())
	if err != nil {
		t.Fatal(err)
	}
	e.WaitLog(t, "fake daemon "+strconv.Itoa(res.PID)+": ready")
	return res
}

// state is what must not change when Launch finds the daemon already running.
type state struct {
	pidfile string
	holder  int
	logSize int64
}

func snapshot(t *testing.T, e *strategytest.Env) state {
	t.Helper()
	b, err := os.ReadFile(e.PIDFile)
	if err != nil {
		t.Fatal(err)
	}
	st, err := pidfile.Probe(e.PIDFile)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(e.Log)
	if err != nil {
		t.Fatal(err)
	}
	return state{pidfile: string(b), holder: st.PID, logSize: fi.Size()}
}

func testDaemonError(t *testing.T, s strategy.Strategy) {
	e := strategytest.New(t)
	_, err := launch(t, context.Background(), s, e.Spec("-fail", "bind 127.0.0.1:7000: address already in use"))
	want := "start fake: bind 127.0.0.1:7000: address already in use\nlast lines of its log:\n"
	if err == nil || !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), ": failing") {
		t.Fatalf("err = %v, want the daemon's own message and its log's last lines", err)
	}
	checkCleanedUp(t, e)
}

func testExitsBeforeReady(t *testing.T, s strategy.Strategy) {
	e := strategytest.New(t)
	// A line from an earlier run, which the error must not quote.
	if err := os.MkdirAll(filepath.Dir(e.Log), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(e.Log, []byte("an earlier run\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := launch(t, context.Background(), s, e.Spec("-child", "-exit", "3"))
	if !errors.Is(err, launcher.ErrExited) {
		t.Fatalf("err = %v, want ErrExited", err)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "start fake: daemon exited before it was ready: exit status 3\nlast lines of its log:\n") {
		t.Errorf("err = %q", msg)
	}
	// The daemon's child writes one line concurrently; where it lands in the log is up to
	// the scheduler, and if it is among the last ten, line 3 is not.
	wants := []string{": line 4\n", ": line 12"}
	if !strings.Contains(msg, "child") {
		wants = append(wants, ": line 3\n")
	}
	for _, want := range wants {
		if !strings.Contains(msg, want) {
			t.Errorf("err = %q, lacks %q", msg, want)
		}
	}
	for _, unwanted := range []string{": line 2\n", "an earlier run", "starting"} {
		if strings.Contains(msg, unwanted) {
			t.Errorf("err = %q: quotes %q, beyond the last 10 lines of this run", msg, unwanted)
		}
	}
	if pids := e.PIDs(); len(pids) != 2 {
		t.Errorf("fake daemon and child: %v, want two pids", pids)
	}
	checkCleanedUp(t, e)
}

func testKilledBeforeReady(t *testing.T, s strategy.Strategy) {
	e := strategytest.New(t)
	_, err := launch(t, context.Background(), s, e.Spec("-kill"))
	if !errors.Is(err, launcher.ErrExited) || !strings.HasPrefix(err.Error(), "start fake: daemon exited before it was ready: killed by signal 9") {
		t.Fatalf("err = %v, want killed by signal 9", err)
	}
	checkCleanedUp(t, e)
}

func testNeverReady(t *testing.T, s strategy.Strategy) {
	e := strategytest.New(t)
	spec := e.Spec("-child", "-hang")
	spec.ReadyTimeout = 300 * time.Millisecond
	_, err := launch(t, context.Background(), s, spec)
	var nre *launcher.NotReadyError
	if !errors.As(err, &nre) || !errors.Is(err, launcher.ErrNotReady) {
		t.Fatalf("err = %v, want a NotReadyError", err)
	}
	if !strings.HasPrefix(err.Error(), "start fake: not ready after 300ms; killed it") {
		t.Errorf("err = %q", err)
	}
	// The re-exec intermediate names the daemon before the daemon has run a line: it may
	// be killed before it records its own pid.
	if pids := e.PIDs(); nre.PID != 0 && len(pids) > 0 && pids[0] != nre.PID {
		t.Errorf("NotReadyError.PID = %d, fake daemons started: %v", nre.PID, pids)
	}
	if nre.PID != 0 {
		checkGone(t, nre.PID)
	}
	checkCleanedUp(t, e)
}

func testCanceled(t *testing.T, s strategy.Strategy) {
	e := strategytest.New(t)
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	interrupted := errors.New("interrupted by SIGTERM")
	time.AfterFunc(300*time.Millisecond, func() { cancel(interrupted) }) // a user's Ctrl-C, any time
	_, err := launch(t, ctx, s, e.Spec("-child", "-hang"))
	if !errors.Is(err, interrupted) || !errors.Is(err, launcher.ErrCanceled) || !strings.HasPrefix(err.Error(), "start fake: interrupted by SIGTERM before the daemon was ready; killed it") {
		t.Fatalf("err = %v, want the cause said and the daemon killed", err)
	}
	checkCleanedUp(t, e)
}

func testBadWorkdir(t *testing.T, s strategy.Strategy) {
	e := strategytest.New(t)
	spec := e.Spec()
	spec.Dir = filepath.Join(e.Dir, "nope")
	_, err := launch(t, context.Background(), s, spec)
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "chdir "+spec.Dir+": no such file or directory") {
		t.Fatalf("err = %v, want chdir %s: no such file or directory", err, spec.Dir)
	}
	if pids := e.PIDs(); len(pids) != 0 {
		t.Errorf("fake daemons started: %v", pids)
	}
}

func testBadLog(t *testing.T, s strategy.Strategy) {
	e := strategytest.New(t)
	spec := e.Spec()
	spec.LogPath = filepath.Join(e.Dir, "pids-is-a-file", "x.log")
	if err := os.WriteFile(filepath.Join(e.Dir, "pids-is-a-file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := launch(t, context.Background(), s, spec)
	if !errors.Is(err, syscall.ENOTDIR) || !strings.HasPrefix(err.Error(), "start fake: open log ") {
		t.Fatalf("err = %v, want open log: not a directory", err)
	}
	if pids := e.PIDs(); len(pids) != 0 {
		t.Errorf("fake daemons started: %v", pids)
	}
}

// testTooLarge: an environment larger than one exec takes is refused with the sizes, not
// only the kernel's "argument list too long", and starts nothing.
func testTooLarge(t *testing.T, s strategy.Strategy) {
	e := strategytest.New(t)
	spec := e.Spec()
	big := strings.Repeat("x", 100<<10) // under the bound on one string; 200 of them over the whole, whatever the stack limit
	for i := range 200 {
		spec.Env = append(spec.Env, "BIG"+strconv.Itoa(i)+"="+big)
	}
	_, err := launch(t, context.Background(), s, spec)
	if !errors.Is(err, syscall.E2BIG) || !strings.Contains(err.Error(), "the daemon's arguments and environment take") {
		t.Fatalf("err = %v, want E2BIG with the sizes", err)
	}
	if pids := e.PIDs(); len(pids) != 0 {
		t.Errorf("fake daemons started: %v", pids)
	}
}

// checkCleanedUp checks that after a failed Launch every fake daemon (and any child it
// started) is gone and no pidfile is left.
func checkCleanedUp(t *testing.T, e *strategytest.Env) {
	t.Helper()
	for _, pid := range e.PIDs() {
		checkGone(t, pid)
	}
	if _, err := os.Lstat(e.PIDFile); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("pidfile left behind: %v", err)
	}
}

// checkGone checks, through /proc, that pid is gone or a zombie.
func checkGone(t *testing.T, pid int) {
	t.Helper()
	if alive, err := proc.Running(pid); err != nil || alive {
		t.Errorf("process %d of the fake daemon still running after Launch returned (%v)", pid, err)
	}
}
