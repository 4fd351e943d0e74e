//go:build linux

package strategytest

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/daemonkit/daemonkit/internal/testutil"
	"github.com/daemonkit/daemonkit/strategy"
)

// Env is one test's fake daemon: its files in a fresh directory, and a marker that names
// its processes. New registers a cleanup that kills every one of them.
type Env struct {
	Dir     string // a fresh directory holding the files below
	PIDFile string // the pidfile the daemon locks
	Log     string // the daemon's log
	PIDOut  string // every fake daemon of this Env appends its pid here, first of all
	Mark    string // in every fake daemon's argv, to recognise it
}

// New makes an Env in a fresh directory, and registers a cleanup that kills (SIGKILL, by
// pid, through a pidfd) every fake daemon that wrote its pid to PIDOut and still carries
// Mark, waits until each is gone, and reaps those that are this process's children.
func New(t testing.TB) *Env {
	t.Helper()
	dir := t.TempDir()
	e := &Env{
		Dir:     dir,
		PIDFile: filepath.Join(dir, "run", "fake.pid"),
		Log:     filepath.Join(dir, "log", "fake.log"),
		PIDOut:  filepath.Join(dir, "pids"),
		Mark:    "fakedaemon-" + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatInt(time.Now().UnixNano(), 36),
	}
	t.Cleanup(func() {
		for _, pid := range e.PIDs() {
			e.kill(t, pid)
		}
	})
	return e
}

// DaemonArgs are the fake daemon's arguments, its hidden command first, followed by flags
// (see runDaemon: -fail MSG, -exit N, -kill, -hang, -listen A).
func (e *Env) DaemonArgs(flags ...string) []string {
	return append([]string{DaemonCommand, "-pidfile", e.PIDFile, "-pidout", e.PIDOut, "-mark", e.Mark}, flags...)
}

// Spec is a spec that runs this test binary as the fake daemon with flags.
func (e *Env) Spec(flags ...string) strategy.Spec {
	return strategy.Spec{
		Name:         "fake",
		Args:         e.DaemonArgs(flags...),
		Env:          Environ(),
		LogPath:      e.Log,
		PIDFile:      e.PIDFile,
		ReadyTimeout: 30 * time.Second, // generous: this is a -race binary on a busy machine
	}
}

// Environ is this process's environment, with GORACE asking a -race binary to exit at
// once: every launch waits for one or two of them to exit.
func Environ() []string { return testutil.Environ() }

// PIDs returns the pids the fake daemons of this Env wrote, in order.
func (e *Env) PIDs() []int {
	b, err := os.ReadFile(e.PIDOut)
	if err != nil {
		return nil
	}
	var pids []int
	for _, f := range strings.Fields(string(b)) {
		if pid, err := strconv.Atoi(f); err == nil && pid > 1 {
			pids = append(pids, pid)
		}
	}
	return pids
}

// kill kills pid if it is still one of this Env's fake daemons, and waits until it is gone.
func (e *Env) kill(t testing.TB, pid int) {
	t.Helper()
	h, err := proc.Open(pid)
	if err != nil {
		Reap(pid)
		return // gone (a zombie counts)
	}
	defer h.Close()
	// The handle is on this very process: if it carries the mark, it is ours.
	if cmd, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline"); err != nil || !strings.Contains(string(cmd), e.Mark) {
		return
	}
	if err := h.Signal(syscall.SIGKILL); err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := h.Wait(ctx); err != nil {
			t.Errorf("fake daemon %d still running after SIGKILL: %v", pid, err)
		}
	}
	Reap(pid)
}

// WaitLog waits until the log contains s, for at most a minute.
func (e *Env) WaitLog(t testing.TB, s string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		b, _ := os.ReadFile(e.Log)
		if strings.Contains(string(b), s) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the log never said %q; it holds:\n%s", s, b)
		}
		time.Sleep(5 * time.Millisecond) // polling a condition, with a deadline
	}
}

// Reap reaps pid if it is a child of this process that has exited, so it does not linger
// as a zombie; anything else is left alone.
func Reap(pid int) {
	var ws syscall.WaitStatus
	_, _ = syscall.Wait4(pid, &ws, syscall.WNOHANG, nil)
}

// Gone reports whether pid is gone: no such process, or a zombie.
func Gone(t testing.TB, pid int) bool {
	t.Helper()
	alive, err := proc.Running(pid)
	if err != nil {
		t.Fatalf("is pid %d running: %v", pid, err)
	}
	return !alive
}
