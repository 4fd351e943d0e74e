package launcher_test

import (
	"testing"

	"github.com/daemonkit/daemonkit/strategy"
	"github.com/daemonkit/daemonkit/strategy/strategytest"
)

// shellDaemon is a setsid strategy (which runs spec.Path with spec.Args as they are) and,
// in a fresh test environment, a spec whose daemon is `sh -c script`: a daemon that does
// what a test tells it, before it is ready.
func shellDaemon(t *testing.T, script string) (strategy.Strategy, strategy.Spec, *strategytest.Env) {
	t.Helper()
	d, err := strategy.Lookup("setsid")
	if err != nil {
		t.Skip(err)
	}
	e := strategytest.New(t)
	spec := e.Spec()
	spec.Path, spec.Argv0, spec.Args = "/bin/sh", "sh", []string{"-c", script}
	return d.New(), spec, e
}
