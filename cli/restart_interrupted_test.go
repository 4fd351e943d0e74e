package cli

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/launcher"
)

// TestInterruptedStartKeepsLogTail: restart's error for a start it interrupted names
// restart and the state it leaves on its first line, and keeps the last lines of the new
// daemon's log, which the start quoted, after it.
func TestInterruptedStartKeepsLogTail(t *testing.T) {
	app := &App{Config: Config{Name: "daemonkit"}.withDefaults(), Globals: &Globals{StateDir: "/srv/state"}}
	paths := instance.Paths{Name: "web", PIDFile: "/srv/state/web.pid"}
	inner := &launcher.CanceledError{Cause: interruption{syscall.SIGTERM}, PID: 4250}
	start := withCode(exitFailed, fmt.Errorf("start web: %w\nlast lines of its log:\n  warming up", inner))
	got := interruptedStart(app, paths, true, start).Error()
	first, rest, _ := strings.Cut(got, "\n")
	want := "restart web: it was stopped, and its start again was interrupted by SIGTERM before the daemon was ready; killed it (pid 4250): web is not running: 'daemonkit restart --state-dir /srv/state --name web' starts it"
	if first != want || rest != "last lines of its log:\n  warming up" {
		t.Errorf("interruptedStart:\n%s\nwant first line\n%s", got, want)
	}
	// Only the launch's own cancellation, which killed the daemon it started, is one: an
	// interrupted wait for another start's daemon (still starting) is not.
	waited := fmt.Errorf("start web: %w: gave up waiting for its daemon (pid 4251): %w", instance.ErrStartUnderWay, interruption{syscall.SIGINT})
	if !errors.As(waited, new(interruption)) || errors.Is(waited, launcher.ErrCanceled) || !errors.Is(start, launcher.ErrCanceled) {
		t.Errorf("ErrCanceled: %v for the launch's own, %v for a wait", errors.Is(start, launcher.ErrCanceled), errors.Is(waited, launcher.ErrCanceled))
	}
}

// TestInterruptedBeforeLaunch: an interrupt that came once the instance had stopped, but
// before its start began (the launcher's own first look at it), started nothing: restart
// says the instance is left not running, and how to start it, rather than the launcher's
// bare "start web: interrupted by SIGTERM".
func TestInterruptedBeforeLaunch(t *testing.T) {
	app := &App{Config: Config{Name: "daemonkit"}.withDefaults(), Globals: &Globals{StateDir: "/srv/state"}}
	paths := instance.Paths{Name: "web", PIDFile: "/srv/state/web.pid"}
	start := withCode(exitFailed, fmt.Errorf("start web: %w", interruption{syscall.SIGTERM}))
	got := restartLaunchError(app, paths, true, start).Error()
	want := "restart web: interrupted by SIGTERM before its start began: it was stopped, and was not started again: web is not running: 'daemonkit restart --state-dir /srv/state --name web' starts it"
	if got != want {
		t.Errorf("restartLaunchError:\n%s\nwant\n%s", got, want)
	}
	other := withCode(exitFailed, errors.New("start web: no such file"))
	if got := restartLaunchError(app, paths, false, other); got != other {
		t.Errorf("restartLaunchError of another error = %v, want it as it is", got)
	}
}
