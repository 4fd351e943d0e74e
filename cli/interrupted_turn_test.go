package cli

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/daemonkit/daemonkit/instance"
)

// TestInterruptedBeforeTurn: under --all, an instance whose turn comes after an interrupt
// (Ctrl-C, SIGTERM) is left alone, and its error says so: stop sends it nothing, restart
// neither stops nor starts it, reopen asks it nothing; none of them goes on as if nothing
// had happened.
func TestInterruptedBeforeTurn(t *testing.T) {
	state := t.TempDir()
	paths := instance.Paths{Name: "web", PIDFile: filepath.Join(state, "web.pid"), Record: filepath.Join(state, "web.json"), Log: filepath.Join(state, "web.log")}
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
