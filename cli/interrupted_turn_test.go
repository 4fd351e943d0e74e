package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/daemonkit/daemonkit/instance"
)

// TestInterruptedBeforeTurn: under --all, an instance whose turn comes after an interrupt
// (Ctrl-C, SIGTERM) is left alone, and its error says so: stop sends it nothing, restart
// neither stops nor starts it, reopen asks it nothing; none of them goes on as if nothing
// had happened. (Here whether it runs cannot be told: its pidfile is a directory.)
func TestInterruptedBeforeTurn(t *testing.T) {
	state := t.TempDir()
	paths := instance.Paths{Name: "web", PIDFile: filepath.Join(state, "web.pid"), Record: filepath.Join(state, "web.json"), Log: filepath.Join(state, "web.log")}
	if err := os.Mkdir(paths.PIDFile, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(interruption{syscall.SIGINT})
	for _, tc := range []struct {
		verb string
		do   func(app *App) error
		want string
	}{
		{"stop", func(app *App) error {
			return stopInstance(ctx, app, paths, instance.StopOptions{Signal: syscall.SIGTERM}, false, func() {})
		}, "stop web: interrupted by SIGINT before its turn: nothing was sent to it"},
		{"restart", func(app *App) error { return restartInstance(ctx, app, paths, nil, nil, func() {}) }, "restart web: interrupted by SIGINT before its turn: nothing was stopped or started"},
		{"reopen", func(app *App) error { return reopen(ctx, app, paths) }, "reopen web: interrupted by SIGINT before its turn: nothing was asked"},
	} {
		var out, errs bytes.Buffer
		app := &App{Config: Config{Name: "daemonkit", Stderr: &errs}.withDefaults(), Globals: &Globals{StateDir: state}, Stdout: &out}
		err := tc.do(app)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v; want %q", tc.verb, err, tc.want)
		}
		if out.Len() > 0 {
			t.Errorf("%s printed %q: want nothing done", tc.verb, out.String())
		}
	}
}

// TestInterruptedBeforeTurnNotRunning: under --all, an instance whose turn comes after an
// interrupt, and which a look (as status takes it, no signal) finds not running, is no
// instance stop could not stop: "was not running", as in its turn; reopen --all skips it,
// as in its turn. Restart, which would have started it, still did not.
func TestInterruptedBeforeTurnNotRunning(t *testing.T) {
	state := t.TempDir()
	paths := instance.Paths{Name: "web", PIDFile: filepath.Join(state, "web.pid"), Record: filepath.Join(state, "web.json"), Log: filepath.Join(state, "web.log")}
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(interruption{syscall.SIGINT})
	var out, errs bytes.Buffer
	app := &App{Config: Config{Name: "daemonkit", Stderr: &errs}.withDefaults(), Globals: &Globals{StateDir: state}, Stdout: &out}
	if err := stopInstance(ctx, app, paths, instance.StopOptions{Signal: syscall.SIGTERM}, false, func() {}); err != nil {
		t.Errorf("stop: %v; want no failure: it was not running", err)
	}
	if out.String() != "web was not running\n" {
		t.Errorf("stop printed %q, want \"web was not running\"", out.String())
	}
	if err := reopen(ctx, app, paths); !errors.Is(err, instance.ErrNotRunning) {
		t.Errorf("reopen: %v; want instance.ErrNotRunning, which reopen --all skips", err)
	}
	want := "restart web: interrupted by SIGINT before its turn: nothing was stopped or started"
	if err := restartInstance(ctx, app, paths, nil, nil, func() {}); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("restart: %v; want %q", err, want)
	}
}
