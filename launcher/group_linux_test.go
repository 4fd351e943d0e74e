//go:build linux

package launcher_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/daemonkit/daemonkit/launcher"
	"github.com/daemonkit/daemonkit/pidfile"
	"github.com/daemonkit/daemonkit/strategy"
	"github.com/daemonkit/daemonkit/strategy/strategytest"
)

// sameGroup is a strategy written from the Strategy contract alone, as a third party may:
// one child, started as strategy.Command makes it, with no SysProcAttr, so that the
// daemon stays in its launcher's process group.
type sameGroup struct{}

func (sameGroup) Start(spec strategy.Spec, files strategy.Files) (strategy.Started, error) {
	cmd, err := strategy.Command(spec, files, "")
	if err != nil {
		return strategy.Started{}, err
	}
	if err := cmd.Start(); err != nil {
		return strategy.Started{}, err
	}
	return strategy.Started{Process: cmd.Process, IsDaemon: true}, nil
}

// TestDaemonInLaunchersGroup: a daemon a strategy left in its launcher's process group
// (the group of the shell job or script that ran start) is refused and killed, as a
// programming error of the strategy's: stop's SIGKILL after its --timeout goes to the
// daemon's group, and would kill what started it.
func TestDaemonInLaunchersGroup(t *testing.T) {
	e := strategytest.New(t)
	_, err := launcher.Launch(context.Background(), sameGroup{}, e.Spec(), nil)
	if !errors.Is(err, launcher.ErrCallersGroup) || !strings.Contains(err.Error(), "Setpgid or Setsid") {
		t.Fatalf("Launch = %v, want an error that wraps launcher.ErrCallersGroup and says how to fix it", err)
	}
	for _, pid := range e.PIDs() {
		if !strategytest.Gone(t, pid) {
			t.Errorf("daemon pid %d still runs", pid)
		}
	}
	if st, err := pidfile.Probe(e.PIDFile); st.State == pidfile.Running {
		t.Errorf("pidfile %s still held: %+v, %v", e.PIDFile, st, err)
	}
	if _, err := os.Stat(e.PIDFile); err == nil {
		t.Errorf("pidfile %s left behind", e.PIDFile)
	}
}
