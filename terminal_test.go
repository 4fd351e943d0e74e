//go:build linux

package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/daemonkit/daemonkit/internal/scripttest"
	"github.com/daemonkit/daemonkit/internal/testutil"
	"github.com/daemonkit/daemonkit/pidfile"
)

// TestDaemonSurvivesItsTerminal is the original article's own test, for every strategy: start
// a daemon from a shell in a pseudo-terminal, close the terminal so its session is hung up,
// and the daemon still answers. nohup keeps that terminal as its controlling one; the others
// have none.
func TestDaemonSurvivesItsTerminal(t *testing.T) {
	for _, strategyName := range []string{"reexec", "setsid", "nohup"} {
		t.Run(strategyName, func(t *testing.T) {
			state := t.TempDir()
			name := "tty-" + strategyName
			pidPath := filepath.Join(state, name+".pid")
			t.Cleanup(func() { killHolder(t, pidPath) })

			shell := exec.Command("sh", "-c",
				`daemonkit start -d --strategy `+strategyName+` --name `+name+`; echo "start exited $?"; exec cat`)
			shell.Env = testutil.Environ("DAEMONKIT_STATE_DIR="+state, "DAEMONKIT_LOG_DIR="+state)
			ptmx, err := pty.Start(shell) // the shell leads a new session with the pty as its terminal
			if err != nil {
				t.Fatalf("start a shell in a pty: %v", err)
			}
			terminal, err := pollable(ptmx)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				_ = terminal.Close()
				_ = shell.Process.Kill()
				_ = shell.Wait()
			})
			screen := &terminalScreen{}
			go func() { _, _ = io.Copy(screen, terminal) }()
			testutil.WaitFor(t, "start to return in the terminal", func() bool { return strings.Contains(screen.String(), "start exited") })
			if !strings.Contains(screen.String(), "start exited 0") {
				t.Fatalf("start failed in the terminal:\n%s", screen.String())
			}

			st, err := pidfile.Probe(pidPath)
			if err != nil || st.State != pidfile.Running {
				t.Fatalf("probe %s: %v %v", pidPath, st.State, err)
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
				t.Errorf("nohup daemon's terminal is %d, want the caller's %d", daemon.TTY, shellStat.TTY)
			}
			if strategyName != "nohup" && daemon.TTY != 0 {
				t.Errorf("%s daemon has controlling terminal %d, want none", strategyName, daemon.TTY)
			}

			// Hang up: close the terminal, and wait for the shell's session to be gone.
			if err := terminal.Close(); err != nil {
				t.Fatalf("close the terminal: %v", err)
			}
			_ = shell.Wait() // the shell's session is over: hung up
			// An interactive shell that exits sends SIGHUP to its jobs' process groups too.
			if err := unix.Kill(-daemon.PGRP, unix.SIGHUP); err != nil {
				t.Fatalf("SIGHUP the daemon's process group %d: %v", daemon.PGRP, err)
			}

			// A SIGHUP lands asynchronously: only once the daemon has handled it (reopened
			// its log) does "alive" mean it survived. nohup's daemon ignores SIGHUP, which
			// the kernel discards as it is sent.
			logPath := filepath.Join(state, name+".log")
			if strategyName != "nohup" {
				testutil.WaitFor(t, "the daemon to handle SIGHUP", func() bool {
					b, _ := os.ReadFile(logPath)
					return strings.Contains(string(b), "reopened log: signal=SIGHUP") || !alive(st.PID)
				})
			}
			if !alive(st.PID) {
				t.Fatalf("the %s daemon (pid %d) died with its terminal", strategyName, st.PID)
			}
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

			stop := exec.Command("daemonkit", "stop", "--name", name)
			stop.Env = shell.Env
			out, err := stop.CombinedOutput()
			if err != nil || !strings.HasPrefix(string(out), "stopped "+name+" (pid "+strconv.Itoa(st.PID)+")") {
				t.Fatalf("stop: %v\n%s; want it to have stopped pid %d", err, out, st.PID)
			}
		})
	}
}

// pollable returns the pty master as a non-blocking file, closing the original: a blocking
// read in progress would otherwise keep the descriptor open past Close, and the terminal
// would never hang up.
func pollable(ptmx *os.File) (*os.File, error) {
	fd, err := unix.Dup(int(ptmx.Fd()))
	if err != nil {
		return nil, fmt.Errorf("dup the pty master: %w", err)
	}
	ptmx.Close()
	unix.CloseOnExec(fd)
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("make the pty master non-blocking: %w", err)
	}
	return os.NewFile(uintptr(fd), "ptmx"), nil
}

// terminalScreen collects what the terminal shows, safely across goroutines.
type terminalScreen struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *terminalScreen) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *terminalScreen) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// alive reports whether pid is running (a zombie is not).
func alive(pid int) bool {
	ok, err := proc.Running(pid)
	return err == nil && ok
}

// killHolder SIGKILLs, by pid, whatever holds the pidfile's lock, and waits until it is gone.
func killHolder(t *testing.T, pidPath string) {
	if st, err := pidfile.Probe(pidPath); err == nil && st.State == pidfile.Running {
		scripttest.KillAndWait(t.Log, st.PID)
	}
}
