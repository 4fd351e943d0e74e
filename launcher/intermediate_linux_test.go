//go:build linux

package launcher_test

import (
	"context"
	"testing"

	"github.com/daemonkit/daemonkit/launcher"
	"github.com/daemonkit/daemonkit/pidfile"
	"github.com/daemonkit/daemonkit/strategy"
	"github.com/daemonkit/daemonkit/strategy/strategytest"
)

// daemonNotIntermediate starts the daemon itself, as setsid does, but says its process is
// an intermediate (Started.IsDaemon false), as a custom strategy may by mistake.
type daemonNotIntermediate struct{ strategy.Strategy }

func (s daemonNotIntermediate) Start(spec strategy.Spec, files strategy.Files) (strategy.Started, error) {
	started, err := s.Strategy.Start(spec, files)
	started.IsDaemon = false
	return started, err
}

// TestIntermediateThatIsTheDaemon: when the process a strategy said is an intermediate is
// the daemon that reported ready, Launch leaves it running, rather than wait for it to
// exit, kill it, and report a daemon that is gone as started.
func TestIntermediateThatIsTheDaemon(t *testing.T) {
	d, err := strategy.Lookup("setsid")
	if err != nil {
		t.Skip(err)
	}
	e := strategytest.New(t)
	res, err := launcher.Launch(context.Background(), daemonNotIntermediate{d.New()}, e.Spec(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if strategytest.Gone(t, res.PID) {
		t.Errorf("Launch returned pid %d as started, and it is gone", res.PID)
	}
	st, err := pidfile.Probe(e.PIDFile)
	if err != nil || st.State != pidfile.Running || st.PID != res.PID {
		t.Errorf("pidfile: %+v, %v; want held by %d", st, err, res.PID)
	}
}
