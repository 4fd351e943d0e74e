//go:build linux

package launcher_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
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
	return startAsIs(spec, files)
}

// startAsIs starts spec's command as strategy.Command makes it, adding nothing, and calls
// the process it started the daemon.
func startAsIs(spec strategy.Spec, files strategy.Files) (strategy.Started, error) {
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

// forkedBySetsid runs the daemon through setsid(1) -f, whose first process stays in the
// launcher's group and exits once it has forked the daemon into a session of its own, and
// says, wrongly, that the process it started is the daemon (IsDaemon).
type forkedBySetsid struct{ setsid string }

func (s forkedBySetsid) Start(spec strategy.Spec, files strategy.Files) (strategy.Started, error) {
	self, err := os.Executable()
	if err != nil {
		return strategy.Started{}, err
	}
	spec.Path, spec.Argv0, spec.Args = s.setsid, "setsid", append([]string{"-f", "--", self}, spec.Args...)
	return startAsIs(spec, files)
}

// TestDaemonOutOfLaunchersGroupThroughAnIntermediate: the group that counts is the one of
// the daemon that reports, not of the process the strategy started and called the daemon
// (an intermediate left in the launcher's group, as setsid(1) -f's first process is).
func TestDaemonOutOfLaunchersGroupThroughAnIntermediate(t *testing.T) {
	setsid, err := exec.LookPath("setsid")
	if err != nil {
		t.Skip("no setsid(1):", err)
	}
	e := strategytest.New(t)
	res, err := launcher.Launch(context.Background(), forkedBySetsid{setsid}, e.Spec(), nil)
	if err != nil {
		t.Fatalf("Launch = %v, want the daemon started", err)
	}
	if strategytest.Gone(t, res.PID) {
		t.Errorf("Launch returned pid %d as started, and it is gone", res.PID)
	}
}
