//go:build linux

package cli_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/daemonkit/daemonkit/cli"
	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/daemonkit/daemonkit/internal/scripttest"
	"github.com/daemonkit/daemonkit/internal/testutil"
)

// startsChildren is a program whose serve function starts processes, as a server starts
// workers, and leaves them running when it returns: a child, an orphan that left the
// daemon's session and lost its parent (setsid, from a shell that exits), and a worker
// that holds a pidfile of its own, worker.pid, with a worker.json beside it (lockPIDFile),
// as a daemon of another state directory would. It writes their pids to the file
// CLI_TEST_CHILDREN_FILE names, then says ready.
var startsChildren = cli.Config{
	Name: "children",
	Serve: func(ctx context.Context, ready func(string)) error {
		child := exec.Command("sleep", "300")
		if err := child.Start(); err != nil {
			return err
		}
		orphan, err := exec.Command("sh", "-c", "setsid sleep 300 >/dev/null 2>&1 & echo $!").Output()
		if err != nil {
			return err
		}
		exe, err := os.Executable()
		if err != nil {
			return err
		}
		dir := filepath.Join(filepath.Dir(os.Getenv("CLI_TEST_CHILDREN_FILE")), "worker") // not the state directory
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "worker.json"), []byte("{}\n"), 0o600); err != nil {
			return err
		}
		worker := exec.Command(exe)
		worker.Env = append(os.Environ(), "CLI_TEST_LOCK_PIDFILE="+filepath.Join(dir, "worker.pid"))
		locked, err := worker.StdoutPipe()
		if err != nil {
			return err
		}
		if err := worker.Start(); err != nil {
			return err
		}
		if _, err := locked.Read(make([]byte, 1)); err != nil { // it holds its lock
			return fmt.Errorf("worker: %w", err)
		}
		pids := fmt.Sprintf("%d %s %d", child.Process.Pid, strings.TrimSpace(string(orphan)), worker.Process.Pid)
		if err := os.WriteFile(os.Getenv("CLI_TEST_CHILDREN_FILE"), []byte(pids), 0o600); err != nil {
			return err
		}
		ready("")
		<-ctx.Done()
		return nil
	},
}

// TestStopLeavesNoChildren: what a serve function started is gone once stop returns,
// with every strategy, as it is when the work runs as the daemon's child (--socket): a
// stop once left a serve function's children running, its daemon gone, so that the next
// start ran beside them.
func TestStopLeavesNoChildren(t *testing.T) {
	for _, strategy := range []string{"reexec", "setsid", "nohup"} {
		t.Run(strategy, func(t *testing.T) {
			t.Parallel()
			state := t.TempDir()
			list := filepath.Join(state, "children")
			command := programIn(t, state, "CLI_TEST_CHILDREN")
			run := func(args ...string) string {
				cmd := command(args...)
				cmd.Env = append(cmd.Env, "CLI_TEST_CHILDREN_FILE="+list)
				out, err := cmd.CombinedOutput()
				if err != nil {
					t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
				}
				return string(out)
			}
			run("start", "-d", "--strategy", strategy, "--name", "c")
			b, err := os.ReadFile(list)
			if err != nil {
				t.Fatal(err)
			}
			var pids []int
			for _, f := range strings.Fields(string(b)) {
				pid, err := strconv.Atoi(f)
				if err != nil {
					t.Fatalf("%s: %q: %v", list, b, err)
				}
				pids = append(pids, pid)
			}
			t.Cleanup(func() { // what a failure left, which the test started
				for _, pid := range pids {
					if alive, _ := proc.Running(pid); alive && proc.HasEnv(pid, "CLI_TEST_CHILDREN_FILE="+list) {
						_ = syscall.Kill(pid, syscall.SIGKILL)
					}
				}
			})
			for _, pid := range pids[:2] { // the worker said it holds its lock
				testutil.WaitFor(t, fmt.Sprintf("pid %d to run sleep", pid), func() bool {
					comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
					return strings.TrimSpace(string(comm)) == "sleep"
				})
			}
			run("stop", "--name", "c")
			for _, pid := range pids {
				if alive, err := proc.Running(pid); alive || err != nil {
					t.Errorf("pid %d, which the serve function started, runs after stop returned (%v)", pid, err)
				}
			}
		})
	}
}

// restartsItself is a program whose serve function, the first time (while the file
// CLI_TEST_SELF_RESTART names does not exist), runs its own restart once the file beside
// it named "go" exists (the test makes it once start -d has returned: a restart while the
// start is under way joins it), as a program that restarts itself once its configuration
// changed does.
var restartsItself = cli.Config{
	Name: "selfrestart",
	Serve: func(ctx context.Context, ready func(string)) error {
		ready("")
		marker := os.Getenv("CLI_TEST_SELF_RESTART")
		if _, err := os.Stat(marker); os.IsNotExist(err) {
			for {
				if _, err := os.Stat(filepath.Join(filepath.Dir(marker), "go")); err == nil {
					break
				}
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(10 * time.Millisecond): // polling for the test's word
				}
			}
			if err := os.WriteFile(marker, nil, 0o600); err != nil {
				return err
			}
			exe, err := os.Executable()
			if err != nil {
				return err
			}
			restart := exec.Command(exe, "restart", cli.Instance(ctx).Name)
			restart.Stdout, restart.Stderr = os.Stdout, os.Stderr
			if err := restart.Start(); err != nil {
				return err
			}
		}
		<-ctx.Done()
		return nil
	},
}

// TestSelfRestart: a restart that the serve function runs outlives the daemon it stops,
// which kills what the serve function left running, and starts the new one.
func TestSelfRestart(t *testing.T) {
	state := t.TempDir()
	command := programIn(t, state, "CLI_TEST_SELF_RESTART")
	run := func(args ...string) string {
		cmd := command(args...)
		// The last of a variable given twice is the one the program sees; the restart the
		// daemon runs finds the state directory in the environment.
		cmd.Env = append(cmd.Env, "CLI_TEST_SELF_RESTART="+filepath.Join(state, "restarted"), "SELFRESTART_STATE_DIR="+state, "SELFRESTART_LOG_DIR="+state)
		out, _ := cmd.CombinedOutput()
		return string(out)
	}
	out := run("start", "-d", "--name", "r")
	first, _, ok := strings.Cut(strings.TrimPrefix(out, "started r (pid "), ",")
	if !ok || !strings.HasPrefix(out, "started r (pid ") {
		t.Fatalf("start -d: %s", out)
	}
	if err := os.WriteFile(filepath.Join(state, "go"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	var st string
	t.Cleanup(func() {
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(state, "r.log"))
			t.Logf("status said:\n%s\nthe log:\n%s", st, log)
		}
	})
	testutil.WaitFor(t, "the daemon to restart itself", func() bool {
		st = run("status", "r")
		return strings.HasPrefix(st, "r is running (pid ") && !strings.HasPrefix(st, "r is running (pid "+first+",")
	})
	if out := run("stop", "r"); !strings.HasPrefix(out, "stopped r") {
		t.Fatalf("stop: %s", out)
	}
}

// startsOther is a program whose serve function, of the instance "a", starts the instance
// "other" of the same program in the foreground, as its child (in the state directory
// CLI_TEST_OTHER_STATE names, if set), and is ready once other is: other's daemon
// carries a's mark (it was started from a's work), though it is an instance of its own.
var startsOther = cli.Config{
	Name: "startsother",
	Serve: func(ctx context.Context, ready func(string)) error {
		if cli.Instance(ctx).Name == "a" {
			exe, err := os.Executable()
			if err != nil {
				return err
			}
			var dir []string
			if d := os.Getenv("CLI_TEST_OTHER_STATE"); d != "" {
				dir = []string{"--state-dir", d, "--log-dir", d}
			}
			other := exec.Command(exe, append(dir, "start", "--name", "other")...)
			if err := other.Start(); err != nil {
				return err
			}
			go func() { _ = other.Wait() }()
			for {
				if out, err := exec.Command(exe, append(dir, "status", "other")...).Output(); err == nil && strings.HasPrefix(string(out), "other is running") {
					break
				}
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(10 * time.Millisecond): // polling for other's readiness
				}
			}
		}
		ready("")
		<-ctx.Done()
		return nil
	},
}

// TestSweepSparesAnotherInstance: the stop of an instance whose work started another
// instance in the foreground, in the same state directory or another, leaves that one
// running, as a daemon of its own: the sweep of what the work left spares a process that
// holds an instance's pidfile. It once killed other's daemon with SIGKILL, leaving its
// pidfile stale.
func TestSweepSparesAnotherInstance(t *testing.T) {
	for _, where := range []string{"same", "another"} {
		t.Run(where, func(t *testing.T) {
			state := t.TempDir()
			otherState := state
			command := programIn(t, state, "CLI_TEST_STARTS_OTHER")
			env := []string{"STARTSOTHER_STATE_DIR=" + state, "STARTSOTHER_LOG_DIR=" + state}
			if where == "another" {
				otherState = t.TempDir()
				t.Cleanup(func() { scripttest.KillDaemonsUnder(t.Log, otherState) })
				env = append(env, "CLI_TEST_OTHER_STATE="+otherState)
			}
			run := func(args ...string) (string, error) {
				cmd := command(args...)
				cmd.Env = append(cmd.Env, env...)
				out, err := cmd.CombinedOutput()
				return string(out), err
			}
			if out, err := run("start", "-d", "--name", "a"); err != nil {
				t.Fatalf("start -d: %v\n%s", err, out)
			}
			if out, err := run("stop", "a"); err != nil {
				t.Fatalf("stop a: %v\n%s", err, out)
			}
			if out, err := run("--state-dir", otherState, "status", "other"); err != nil || !strings.HasPrefix(out, "other is running") {
				log, _ := os.ReadFile(filepath.Join(state, "a.log"))
				t.Errorf("status other after a's stop: %v\n%s\na's log:\n%s", err, out, log)
			}
			if out, err := run("--state-dir", otherState, "stop", "other"); err != nil {
				t.Errorf("stop other: %v\n%s", err, out)
			}
		})
	}
}

// lockPIDFile is the worker of startsChildren: it holds a write lock on the file path, as
// a daemon holds its pidfile, writes its pid there, says so on its stdout, and sleeps.
func lockPIDFile(path string) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		os.Exit(1)
	}
	lock := syscall.Flock_t{Type: syscall.F_WRLCK}
	if err := syscall.FcntlFlock(f.Fd(), syscall.F_SETLK, &lock); err != nil {
		os.Exit(1)
	}
	fmt.Fprintf(f, "%d\n", os.Getpid())
	os.Stdout.Write([]byte("l"))
	time.Sleep(300 * time.Second) // until the sweep kills it
	os.Exit(0)
}
