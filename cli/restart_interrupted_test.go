package cli

import (
	"fmt"
	"strings"
	"syscall"
	"testing"

	"github.com/daemonkit/daemonkit/instance"
)

// TestInterruptedStartKeepsLogTail: restart's error for a start it interrupted names
// restart and the state it leaves on its first line, and keeps the last lines of the new
// daemon's log, which the start quoted, after it.
func TestInterruptedStartKeepsLogTail(t *testing.T) {
	app := &App{Config: Config{Name: "daemonkit"}.withDefaults(), Globals: &Globals{StateDir: "/srv/state"}}
	paths := instance.Paths{Name: "web", PIDFile: "/srv/state/web.pid"}
	inner := fmt.Errorf("%w before the daemon was ready; killed it (pid 4250)\nlast lines of its log:\n  warming up", interruption{syscall.SIGTERM})
	start := withCode(exitFailed, fmt.Errorf("start web: %w", inner))
	got := interruptedStart(app, paths, true, start).Error()
	first, rest, _ := strings.Cut(got, "\n")
	want := "restart web: it was stopped, and its start again was interrupted by SIGTERM before the daemon was ready; killed it (pid 4250): web is not running: 'daemonkit restart --state-dir /srv/state --name web' starts it"
	if first != want || rest != "last lines of its log:\n  warming up" {
		t.Errorf("interruptedStart:\n%s\nwant first line\n%s", got, want)
	}
}
