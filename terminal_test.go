//go:build linux

package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/internal/scripttest"
	"github.com/daemonkit/daemonkit/internal/testutil"
)

// TestDaemonSurvivesItsTerminal is the original article's own test, for every strategy:
// start a daemon from a shell in a pseudo-terminal, close the terminal so its session is
// hung up, and the daemon still answers.
func TestDaemonSurvivesItsTerminal(t *testing.T) {
	for _, strategyName := range []string{"reexec", "setsid", "nohup"} {
		t.Run(strategyName, func(t *testing.T) {
			state := t.TempDir()
			name := "tty-" + strategyName
			env := testutil.Environ("DAEMONKIT_STATE_DIR="+state, "DAEMONKIT_LOG_DIR="+state)
			pid := scripttest.Hangup(t, "daemonkit", strategyName, name, state, env)

			rec, err := instance.ReadRecord(filepath.Join(state, name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.Get("http://" + rec.Listen + "/healthz")
			if err != nil {
				t.Fatalf("the daemon does not answer after its terminal closed: %v", err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || string(body) != "ok\n" {
				t.Fatalf("/healthz after hang-up: %d %q", resp.StatusCode, body)
			}
			scripttest.StopsPID(t, "daemonkit", name, env, pid)
		})
	}
}

// atTerminal runs `daemonkit start --name fg -- catchsig FILE INT QUIT` in the foreground
// of a pseudo-terminal, as typed at a shell, and returns once the program is ready: the
// terminal, the file where the program writes each signal it gets, start's output so far,
// and a channel closed when start has exited. The program ends 1s after its first INT.
func atTerminal(t *testing.T) (terminal *os.File, caught string, output *testutil.Buffer, exited <-chan struct{}) {
	t.Helper()
	state := t.TempDir()
	caught = filepath.Join(state, "caught")
	terminal, output, exited, _ = startAtTerminal(t, state, "--name", "fg", "--ready-grace", "50ms",
		"--", "catchsig", "-linger", "1s", caught, "INT", "QUIT")
	testutil.WaitFor(t, "the program to be ready", func() bool {
		rec, err := instance.ReadRecord(filepath.Join(state, "fg.json"))
		return err == nil && rec.State == instance.StateRunning
	})
	// Ready by exec is ready once alive for --ready-grace: under load, before catchsig
	// catches anything, and a Ctrl-C then would end it by default. It says when it does.
	testutil.WaitFor(t, "the program to catch its signals", func() bool {
		b, _ := os.ReadFile(caught)
		return strings.HasPrefix(string(b), "ready\n")
	})
	return terminal, caught, output, exited
}

// startAtTerminal runs `daemonkit start ARGS...` in the foreground of a pseudo-terminal,
// with state (and logs) in state, and returns the terminal, start's output so far, a
// channel closed once it has exited, and its pid. The test's own stop and status commands
// find the instance there.
func startAtTerminal(t *testing.T, state string, args ...string) (terminal *os.File, output *testutil.Buffer, exited <-chan struct{}, pid int) {
	t.Helper()
	start := exec.Command("daemonkit", append([]string{"start"}, args...)...)
	start.Env = testutil.Environ("DAEMONKIT_STATE_DIR="+state, "DAEMONKIT_LOG_DIR="+state)
	terminal, exited = scripttest.AtTerminal(t, start, state)
	output = &testutil.Buffer{}
	go func() { _, _ = io.Copy(output, terminal) }() // ends once the terminal is closed
	t.Setenv("DAEMONKIT_STATE_DIR", state)
	t.Setenv("DAEMONKIT_LOG_DIR", state)
	return terminal, output, exited, start.Process.Pid
}

// awaitExit waits for start to exit, and returns what the program wrote of the signals it
// got.
func awaitExit(t *testing.T, exited <-chan struct{}, caught string, output *testutil.Buffer) string {
	t.Helper()
	select {
	case <-exited:
	case <-time.After(testutil.Deadline):
		t.Fatalf("start still runs; its output:\n%s", output.String())
	}
	b, _ := os.ReadFile(caught)
	return string(b)
}

// outputSays reports whether start's output at the terminal says text, waiting for it up
// to testutil.Deadline: what start wrote reaches output by a copy from the terminal, which
// may run after start has exited.
func outputSays(output *testutil.Buffer, text string) bool {
	end := time.Now().Add(testutil.Deadline)
	for !strings.Contains(output.String(), text) {
		if time.Now().After(end) {
			return false
		}
		time.Sleep(10 * time.Millisecond) // a polling step, with a deadline
	}
	return true
}

// TestCtrlCReachesTheProgramOnce: Ctrl-C at a terminal where `start` runs in the foreground
// sends SIGINT to the whole foreground group, the program included. The supervisor stops
// the program without sending it a second one, which many programs take for "quit now,
// skip the cleanup" (and a shell's wait for its job would see it die half done).
func TestCtrlCReachesTheProgramOnce(t *testing.T) {
	terminal, caught, output, exited := atTerminal(t)
	if _, err := terminal.Write([]byte{0x03}); err != nil { // Ctrl-C
		t.Fatalf("type Ctrl-C: %v", err)
	}
	got := awaitExit(t, exited, caught, output)
	// Two signals caught at once may be merged into one on a loaded machine: the log line
	// says the supervisor sent none.
	if n := strings.Count(got, "SIGINT"); n != 1 || !outputSays(output, "sent to the whole process group") {
		t.Fatalf("the program had SIGINT %d times, want once, from the terminal alone; it wrote:\n%s\nstart's output:\n%s", n, got, output.String())
	}
}

// TestStopSignalIntAtTerminal: `stop --signal INT` of the same foreground start signals the
// supervisor alone, which passes it on: the program has it once, and ends of it, with no
// SIGKILL at the shutdown timeout (docker stop with STOPSIGNAL SIGINT is the same).
func TestStopSignalIntAtTerminal(t *testing.T) {
	_, caught, output, exited := atTerminal(t)
	out, err := exec.Command("daemonkit", "stop", "--name", "fg", "--signal", "INT").CombinedOutput()
	if err != nil || strings.Contains(string(out), "SIGKILL") {
		t.Fatalf("stop --signal INT: %v\n%s\nstart's output:\n%s", err, out, output.String())
	}
	if got := awaitExit(t, exited, caught, output); strings.Count(got, "SIGINT") != 1 {
		t.Fatalf("the program wrote:\n%s\nwant SIGINT once; start's output:\n%s", got, output.String())
	}
}

// witnessOf is the pid of the witness of the foreground supervisor sup: its child cat.
func witnessOf(t *testing.T, sup int) int {
	t.Helper()
	var pid int
	testutil.WaitFor(t, "the supervisor's witness (cat)", func() bool {
		tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", sup))
		for _, task := range tasks {
			b, _ := os.ReadFile(task)
			for _, f := range strings.Fields(string(b)) {
				if comm, _ := os.ReadFile("/proc/" + f + "/comm"); string(comm) == "cat\n" {
					pid, _ = strconv.Atoi(f)
					return true
				}
			}
		}
		return false
	})
	return pid
}

// TestStopSignalIntWithoutWitness: with its witness gone (SIGKILLed: it blocks every
// other signal), a foreground supervisor at a terminal cannot tell a Ctrl-C from a signal
// sent to it alone, and passes INT on: `stop --signal INT` reaches the program, with no
// SIGKILL at the shutdown timeout. (A Ctrl-C then reaches the program twice.)
func TestStopSignalIntWithoutWitness(t *testing.T) {
	state := t.TempDir()
	caught := filepath.Join(state, "caught")
	_, output, exited, sup := startAtTerminal(t, state, "--name", "fg", "--ready-grace", "50ms",
		"--", "catchsig", "-linger", "1s", caught, "INT", "QUIT")
	testutil.WaitFor(t, "the program to be ready", func() bool {
		rec, err := instance.ReadRecord(filepath.Join(state, "fg.json"))
		return err == nil && rec.State == instance.StateRunning
	})
	w := witnessOf(t, sup)
	if err := syscall.Kill(w, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, "the witness to be gone", func() bool { return !scripttest.Alive(w) })
	out, err := exec.Command("daemonkit", "stop", "--name", "fg", "--signal", "INT").CombinedOutput()
	if err != nil || strings.Contains(string(out), "SIGKILL") {
		t.Fatalf("stop --signal INT: %v\n%s\nstart's output:\n%s", err, out, output.String())
	}
	if got := awaitExit(t, exited, caught, output); strings.Count(got, "SIGINT") != 1 {
		t.Fatalf("the program wrote:\n%s\nwant SIGINT once; start's output:\n%s", got, output.String())
	}
}

// TestPidfileReadyAtTerminal: a foreground start at a terminal (which has a witness, a
// child of the supervisor) whose program should daemonize itself (--ready pidfile:) but
// exits 0 and leaves nothing running fails at once, as it does without a terminal: the
// witness is not taken for what the program left.
func TestPidfileReadyAtTerminal(t *testing.T) {
	state := t.TempDir()
	_, output, exited, _ := startAtTerminal(t, state, "--name", "pf", "--ready", "pidfile:"+filepath.Join(t.TempDir(), "nope.pid"),
		"--", "sh", "-c", "exit 0")
	select {
	case <-exited:
	case <-time.After(testutil.Deadline):
		t.Fatalf("start still runs; its output:\n%s", output.String())
	}
	if !outputSays(output, "left no process running") {
		t.Errorf("start's output says not why it failed:\n%s", output.String())
	}
}
