//go:build linux

package nohup_test

import (
	"testing"

	"github.com/daemonkit/daemonkit/strategy"
	"github.com/daemonkit/daemonkit/strategy/nohup"
	"github.com/daemonkit/daemonkit/strategy/strategytest"
)

func TestMain(m *testing.M) { strategytest.Main(m) }

// TestLeavesBehind checks the nohup row of docs/strategies.md against a real daemon.
func TestLeavesBehind(t *testing.T) {
	strategytest.CheckTraits(t, nohup.Name, strategy.Traits{
		KeepsTerminal: true,
		IgnoresHUP:    true,
	})
}
