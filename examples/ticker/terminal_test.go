//go:build linux

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/daemonkit/daemonkit/internal/scripttest"
	"github.com/daemonkit/daemonkit/internal/testutil"
	"github.com/daemonkit/daemonkit/pidfile"
)

// TestTickerSurvivesItsTerminal is the original article's test, for the article's own
// program and every strategy: start the ticker with -d from a shell in a pseudo-terminal,
// close the terminal so its session is hung up, and the ticker goes on ticking. nohup keeps
// that terminal as its controlling one; the others have none.
//
// Nothing reads the terminal: a read in progress would keep its descriptor open past Close
// and the terminal would never hang up. The shell writes start's exit status to a file
// instead, and start's stderr too, so that a failure can be told.
func TestTickerSurvivesItsTerminal(t *testing.T) {
	for _, strategyName := range []string{"reexec", "setsid", "nohup"} {
		t.Run(strategyName, func(t *testing.T) {
			state := t.TempDir()
			t.Cleanup(func() { scripttest.KillDaemonsUnder(t.Log, state) })
			name := "tty-" + strategyName
			started := filepath.Join(state, "start.status")

			shell := exec.Command("sh", "-c", `ticker start -d --strategy `+strategyName+` --name `+name+
				` 2>"$STATE/start.err"; echo $? >"$STATE/start.tmp"; mv "$STATE/start.tmp" "$STATE/start.status"; exec cat`)
			shell.Env = testutil.Environ("STATE="+state, "TICKER_STATE_DIR="+state, "TICKER_LOG_DIR="+state)
			terminal, err := pty.Start(shell) // the shell leads a new session with the pty as its terminal
			if err != nil {
				t.Fatalf("start a shell in a pty: %v", err)
			}
			t.Cleanup(func() {
				_ = terminal.Close()
				_ = shell.Process.Kill()
				_ = shell.Wait()
			})
			testutil.WaitFor(t, "start to return in the terminal", func() bool {
				_, err := os.Stat(started)
				return err == nil
			})
			if b, _ := os.ReadFile(started); strings.TrimSpace(string(b)) != "0" {
				stderr, _ := os.ReadFile(filepath.Join(state, "start.err"))
				t.Fatalf("start exited %s in the terminal:\n%s", b, stderr)
			}

			st, err := pidfile.Probe(filepath.Join(state, name+".pid"))
			if err != nil || st.State != pidfile.Running {
				t.Fatalf("probe %s's pidfile: %v %v", name, st.State, err)
			}
			daemon, err := proc.ReadStat(st.PID)
			if err != nil {
				t.Fatal(err)
			}
			shellStat, err := proc.ReadStat(shell.Process.Pid)
			if err != nil {
				t.Fatal(err)
			}
			if shellStat.TTY == 0 {
				t.Fatalf("the shell has no controlling terminal: the test is not testing anything")
			}
			if strategyName == "nohup" && daemon.TTY != shellStat.TTY {
				t.Errorf("nohup ticker's terminal is %d, want the caller's %d", daemon.TTY, shellStat.TTY)
			}
			if strategyName != "nohup" && daemon.TTY != 0 {
				t.Errorf("%s ticker has controlling terminal %d, want none", strategyName, daemon.TTY)
			}

			// Hang up: close the terminal, and wait for the shell's session to be gone.
			if err := terminal.Close(); err != nil {
				t.Fatalf("close the terminal: %v", err)
			}
			_ = shell.Wait() // the shell's session is over: hung up
			// An interactive shell that exits sends SIGHUP to its jobs' process groups too.
			if err := unix.Kill(-daemon.PGRP, unix.SIGHUP); err != nil {
				t.Fatalf("SIGHUP the ticker's process group %d: %v", daemon.PGRP, err)
			}

			// A SIGHUP lands asynchronously: only once the ticker has handled it (reopened
			// its log) does "alive" mean it survived. nohup's ticker ignores SIGHUP, which
			// the kernel discards as it is sent. Then it must go on ticking: a tick later
			// than any the log had when the terminal closed.
			logPath := filepath.Join(state, name+".log")
			if strategyName != "nohup" {
				testutil.WaitFor(t, "the ticker to handle SIGHUP", func() bool {
					b, _ := os.ReadFile(logPath)
					return strings.Contains(string(b), "reopened log: signal=SIGHUP") || !running(st.PID)
				})
			}
			if !running(st.PID) {
				t.Fatalf("the %s ticker (pid %d) died with its terminal", strategyName, st.PID)
			}
			last := lastTick(t, logPath)
			testutil.WaitFor(t, "a tick after the hang-up", func() bool { return lastTick(t, logPath) > last || !running(st.PID) })
			if !running(st.PID) {
				t.Fatalf("the %s ticker (pid %d) died after its terminal closed", strategyName, st.PID)
			}

			stop := exec.Command("ticker", "stop", "--name", name)
			stop.Env = shell.Env
			out, err := stop.CombinedOutput()
			if err != nil || !strings.HasPrefix(string(out), "stopped "+name+" (pid "+strconv.Itoa(st.PID)+")") {
				t.Fatalf("stop: %v\n%s; want it to have stopped pid %d", err, out, st.PID)
			}
		})
	}
}

// running reports whether pid is running (a zombie is not).
func running(pid int) bool {
	ok, err := proc.Running(pid)
	return err == nil && ok
}

var tickLine = regexp.MustCompile(`(?m)^tick ([0-9]+) `)

// lastTick is the number of the last "tick N" line in the log, 0 if none.
func lastTick(t *testing.T, logPath string) int {
	b, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	m := tickLine.FindAllSubmatch(b, -1)
	if len(m) == 0 {
		return 0
	}
	n, _ := strconv.Atoi(string(m[len(m)-1][1]))
	return n
}
