package cli

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/daemonkit/daemonkit/instance"
)

// TestInterruptedBeforeTurnStarting: under --all, an instance whose turn comes after an
// interrupt while a start of it is under way (its start lock held; its daemon, once it
// takes its pidfile, would have been stopped) is one stop could not stop: nothing was sent
// to it, and it says so, as for one that runs.
func TestInterruptedBeforeTurnStarting(t *testing.T) {
	state := t.TempDir()
	paths := instance.Paths{Name: "web", PIDFile: filepath.Join(state, "web.pid"), Record: filepath.Join(state, "web.json"), Log: filepath.Join(state, "web.log")}
	locker := exec.Command(os.Args[0]) // lockPIDFile: a start under way, as its lock says
	locker.Env = append(os.Environ(), "CLI_TEST_LOCK_PIDFILE="+paths.StartLock())
	out, err := locker.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := locker.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = locker.Process.Kill(); _ = locker.Wait() })
	if _, err := out.Read(make([]byte, 1)); err != nil { // it holds the lock
		t.Fatalf("%v: %v", locker.Args, err)
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(interruption{syscall.SIGINT})
	var stdout, stderr bytes.Buffer
	app := &App{Config: Config{Name: "daemonkit", Stderr: &stderr}.withDefaults(), Globals: &Globals{StateDir: state}, Stdout: &stdout}
	want := "stop web: interrupted by SIGINT before its turn: nothing was sent to it"
	if err := stopInstance(ctx, app, paths, instance.StopOptions{Signal: syscall.SIGTERM}, false, func() {}); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("stop: %v; want %q", err, want)
	}
	if stdout.Len() > 0 {
		t.Errorf("stop printed %q: want nothing done", stdout.String())
	}
}
