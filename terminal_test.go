//go:build linux

package main

import (
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"

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

// TestCtrlCReachesTheProgramOnce: Ctrl-C at a terminal where `start` runs in the foreground
// sends SIGINT to the whole foreground group, the program included. The supervisor stops
// the program without sending it a second one, which many programs take for "quit now,
// skip the cleanup" (and a shell's wait for its job would see it die half done).
func TestCtrlCReachesTheProgramOnce(t *testing.T) {
	state := t.TempDir()
	caught := filepath.Join(state, "caught")
	start := exec.Command("daemonkit", "start", "--name", "fg", "--ready-grace", "50ms",
		"--", "catchsig", "-linger", "1s", caught, "INT", "QUIT")
	start.Env = testutil.Environ("DAEMONKIT_STATE_DIR="+state, "DAEMONKIT_LOG_DIR="+state)
	terminal, err := pty.Start(start) // start leads a session whose terminal is the pty, in its foreground group
	if err != nil {
		t.Fatalf("start in a pty: %v", err)
	}
	var output testutil.Buffer
	go func() { _, _ = io.Copy(&output, terminal) }()
	exited := make(chan struct{})
	go func() { _ = start.Wait(); close(exited) }()
	t.Cleanup(func() {
		scripttest.KillDaemonsUnder(t.Log, state)
		_ = start.Process.Kill()
		<-exited
		_ = terminal.Close() // its copy ends once nothing holds the terminal any more
	})
	testutil.WaitFor(t, "the program to be ready", func() bool {
		rec, err := instance.ReadRecord(filepath.Join(state, "fg.json"))
		return err == nil && rec.State == instance.StateRunning
	})
	if _, err := terminal.Write([]byte{0x03}); err != nil { // Ctrl-C
		t.Fatalf("type Ctrl-C: %v", err)
	}
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		t.Fatalf("start still runs 10s after Ctrl-C; its output:\n%s", output.String())
	}
	b, _ := os.ReadFile(caught)
	if got := strings.Count(string(b), "SIGINT"); got != 1 {
		t.Fatalf("the program had SIGINT %d times, want once; it wrote:\n%s\nstart's output:\n%s", got, b, output.String())
	}
}
