//go:build linux

package scripttest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/daemonkit/daemonkit/internal/testutil"
	"github.com/daemonkit/daemonkit/pidfile"
)

// Hangup is the original article's test, for one program and one strategy: `PROG start -d
// --strategy S --name N` run from a shell in a pseudo-terminal, then the terminal closed so
// its session is hung up, and SIGHUP sent to the daemon's process group as an interactive
// shell sends it to its jobs. It checks the daemon has the controlling terminal the
// strategy promises (nohup keeps the caller's, the others none) and, once the daemon has
// handled the hangup (it logs "reopened log: signal=SIGHUP"; nohup's ignores it), that it
// is alive, and returns its pid; the caller then checks it still works, and stops it.
// env is the shell's environment; state is the instance's state and log directory.
//
// Nothing reads the terminal: a read in progress would keep its descriptor open past Close
// and it would never hang up. The shell writes start's status and stderr to files instead.
func Hangup(t *testing.T, prog, strategy, name, state string, env []string) int {
	t.Helper()
	started := filepath.Join(state, "start.status")
	shell := exec.Command("sh", "-c", prog+` start -d --strategy `+strategy+` --name `+name+
		` 2>"$STATE/start.err"; echo $? >"$STATE/start.tmp"; mv "$STATE/start.tmp" "$STATE/start.status"; exec cat`)
	shell.Env = append(env, "STATE="+state)
	terminal, exited := AtTerminal(t, shell, state)
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
	if strategy == "nohup" && daemon.TTY != shellStat.TTY {
		t.Errorf("nohup daemon's terminal is %d, want the caller's %d", daemon.TTY, shellStat.TTY)
	}
	if strategy != "nohup" && daemon.TTY != 0 {
		t.Errorf("%s daemon has controlling terminal %d, want none", strategy, daemon.TTY)
	}

	if err := terminal.Close(); err != nil {
		t.Fatalf("close the terminal: %v", err)
	}
	<-exited // the shell's session is over: hung up
	if err := unix.Kill(-daemon.PGRP, unix.SIGHUP); err != nil {
		t.Fatalf("SIGHUP the daemon's process group %d: %v", daemon.PGRP, err)
	}
	// A SIGHUP lands asynchronously: only once the daemon has handled it does "alive" mean
	// it survived. nohup's daemon ignores SIGHUP, which the kernel discards as it is sent.
	logPath := filepath.Join(state, name+".log")
	if strategy != "nohup" {
		testutil.WaitFor(t, "the daemon to handle SIGHUP", func() bool {
			b, _ := os.ReadFile(logPath)
			return strings.Contains(string(b), "reopened log: signal=SIGHUP") || !Alive(st.PID)
		})
	}
	if !Alive(st.PID) {
		t.Fatalf("the %s daemon (pid %d) died with its terminal", strategy, st.PID)
	}
	return st.PID
}

// AtTerminal starts cmd as the leader of a new session whose controlling terminal is a new
// pseudo-terminal, cmd in its foreground, and returns the terminal's master and a channel
// closed once cmd has exited. When the test ends, whatever happened, the daemons whose
// state is in state are killed by pid, then cmd, and the master is closed. A test that
// kills what cmd started in its session does so in a cleanup of its own, registered after
// this call, so that it runs first.
func AtTerminal(t *testing.T, cmd *exec.Cmd, state string) (terminal *os.File, exited <-chan struct{}) {
	t.Helper()
	terminal, err := pty.Start(cmd)
	if err != nil {
		t.Fatalf("start %s at a pseudo-terminal: %v", cmd.Path, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		KillDaemonsUnder(t.Log, state)
		_ = cmd.Process.Kill()
		<-done
		_ = terminal.Close()
	})
	return terminal, done
}

// Alive reports whether pid is running (a zombie is not).
func Alive(pid int) bool {
	ok, err := proc.Running(pid)
	return err == nil && ok
}

// StopsPID runs `PROG stop --name N` with env and fails the test unless it stopped pid.
func StopsPID(t *testing.T, prog, name string, env []string, pid int) {
	t.Helper()
	stop := exec.Command(prog, "stop", "--name", name)
	stop.Env = env
	out, err := stop.CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "stopped "+name+" (pid "+strconv.Itoa(pid)+")") {
		t.Fatalf("stop: %v\n%s; want it to have stopped pid %d", err, out, pid)
	}
}
