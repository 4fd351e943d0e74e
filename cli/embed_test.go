//go:build linux

package cli_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/daemonkit/daemonkit/cli"
	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/internal/proc"
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

// TestMain makes the test binary the embedding program when CLI_TEST_PROGRAM is set, and
// its daemon when start -d runs it again (Main recognises the hidden first argument);
// otherwise it runs the tests.
func TestMain(m *testing.M) {
	if path := os.Getenv("CLI_TEST_LOCK_PIDFILE"); path != "" { // before the program it was started from
		lockPIDFile(path)
	}
	if os.Getenv("CLI_TEST_RUN_THEN_GO_ON") != "" {
		runThenGoOn()
	}
	if os.Getenv("CLI_TEST_RUN_TWO_AT_ONCE") != "" {
		runTwoAtOnce()
	}
	if os.Getenv("CLI_TEST_SHOW_INSTANCE") != "" {
		cli.Main(showsInstance)
	}
	if os.Getenv("CLI_TEST_INIT_AFTER_PARSE") != "" {
		initAfterParse()
	}
	if os.Getenv("CLI_TEST_SLOW_RELOAD") != "" {
		cli.Main(slowReload)
	}
	if os.Getenv("CLI_TEST_FAILING") != "" {
		cli.Main(failing)
	}
	if os.Getenv("CLI_TEST_SLOW_START") != "" {
		cli.Main(slowStart)
	}
	if os.Getenv("CLI_TEST_CHILDREN") != "" {
		cli.Main(startsChildren)
	}
	if os.Getenv("CLI_TEST_SELF_RESTART") != "" {
		cli.Main(restartsItself)
	}
	if os.Getenv("CLI_TEST_CLOSES_STDIO") != "" {
		cli.Main(closesStdio)
	}
	if os.Getenv("CLI_TEST_CLOSES_STDERR_PANICS") != "" {
		cli.Main(closesStderrPanics)
	}
	if os.Getenv("CLI_TEST_GO_PANICS") != "" {
		cli.Main(goPanics)
	}
	if os.Getenv("CLI_TEST_STARTS_OTHER") != "" {
		cli.Main(startsOther)
	}
	if state := os.Getenv("CLI_TEST_NO_INIT"); state != "" {
		runWithoutInit(state)
	}
	if path := os.Getenv("CLI_TEST_FAKE_CONTROL"); path != "" {
		fakeControl(path)
	}
	if os.Getenv("CLI_TEST_PROGRAM") != "" || (len(os.Args) > 1 && strings.HasPrefix(os.Args[1], "_")) {
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
			if got := testutil.Receive(t, sigs, fmt.Sprintf("%s: the program's own %v handler to receive it", strategy, sig)); got != sig {
				t.Errorf("%s: got %v, want %v", strategy, got, sig)
			}
		}
		var subreaper int32
		if err := unix.Prctl(unix.PR_GET_CHILD_SUBREAPER, uintptr(unsafe.Pointer(&subreaper)), 0, 0, 0); err != nil || subreaper != 0 {
			t.Errorf("%s: still a child subreaper (%d, %v)", strategy, subreaper, err)
		}
		rec, err := instance.ReadRecord(filepath.Join(state, strategy+".json"))
		if err != nil {
			t.Fatal(err)
		}
		if code := cli.Run(cfg, []string{"--state-dir", state, "stop", "--name", strategy}); code != 0 || !strings.HasPrefix(out.String(), "started "+strategy) || !strings.Contains(out.String(), "stopped "+strategy) {
			t.Fatalf("stop: exit %d: %s%s", code, out.String(), errs.String())
		}
		// the daemon, a child of this process (directly, or adopted while it was a
		// subreaper), is reaped: a program that goes on collects no zombies
		for deadline := time.Now().Add(testutil.Deadline); ; time.Sleep(time.Millisecond) {
			st, err := proc.ReadStat(rec.PID)
			if err != nil || st.PPID != os.Getpid() {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: the daemon, pid %d, is left this program's child (state %c) after stop", strategy, rec.PID, st.State)
			}
		}
	}
}

// TestUserRunsTheWork: as root, start -d --user nobody runs the program's own work as a
// child of the daemon with nobody's uid, gid and groups (checked in /proc/PID/status),
// while the daemon, which holds the lock and the log, stays root; stop stops both.
func TestUserRunsTheWork(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("switching users needs root")
	}
	bin := testutil.CopySelf(t, "embedded") // a directory nobody can reach: the work is this binary again
	state := t.TempDir()
	t.Cleanup(func() { scripttest.KillDaemonsUnder(t.Log, state) })
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, append([]string{"--state-dir", state}, args...)...)
		cmd.Env = testutil.Environ("CLI_TEST_PROGRAM=1") // the copy is the embedding program
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	run("start", "-d", "--name", "asuser", "--user", "nobody", "--strategy", "setsid")
	rec, err := instance.ReadRecord(filepath.Join(state, "asuser.json"))
	if err != nil {
		t.Fatal(err)
	}
	child := rec.ChildPID
	if child == 0 {
		t.Fatalf("no child pid in the record: %+v", rec)
	}
	for field, want := range map[string]string{"Uid": "65534\t65534\t65534\t65534", "Gid": "65534\t65534\t65534\t65534", "Groups": "65534"} {
		got := statusField(t, child, field)
		if got != want {
			t.Errorf("the work's %s: %q, want %q", field, got, want)
		}
	}
	if got := statusField(t, rec.PID, "Uid"); !strings.HasPrefix(got, "0\t") {
		t.Errorf("the daemon's Uid: %q, want root", got)
	}
	if out := run("stop", "--name", "asuser"); !strings.HasPrefix(out, "stopped asuser") {
		t.Fatalf("stop: %s", out)
	}
	for _, pid := range []int{rec.PID, child} {
		if alive, _ := proc.Running(pid); alive {
			t.Errorf("pid %d still running after stop", pid)
		}
	}
}

// statusField is a field of /proc/PID/status, as it stands.
func statusField(t *testing.T, pid int, field string) string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
