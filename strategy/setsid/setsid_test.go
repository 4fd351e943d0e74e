//go:build linux

package setsid_test

import (
	"testing"

	"github.com/daemonkit/daemonkit/strategy"
	"github.com/daemonkit/daemonkit/strategy/setsid"
	"github.com/daemonkit/daemonkit/strategy/strategytest"
)

func TestMain(m *testing.M) { strategytest.Main(m) }

// TestLeavesBehind checks the setsid row of docs/strategies.md against a real daemon.
func TestLeavesBehind(t *testing.T) {
	strategytest.CheckTraits(t, setsid.Name, strategy.Traits{
		NewSession:    true,
		SessionLeader: true,
		DefaultDir:    "/",
	})
}
