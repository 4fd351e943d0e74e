//go:build linux

package setsid_test

import (
	"testing"

	"github.com/daemonkit/daemonkit/strategy"
	"github.com/daemonkit/daemonkit/strategy/internal/fakedaemon"
	"github.com/daemonkit/daemonkit/strategy/setsid"
)

func TestMain(m *testing.M) { fakedaemon.Main(m) }

// TestLeavesBehind checks DESIGN.md's setsid column against a real daemon.
func TestLeavesBehind(t *testing.T) {
	fakedaemon.CheckLeftBehind(t, setsid.Name, strategy.Traits{
		NewSession:    true,
		SessionLeader: true,
		DefaultDir:    "/",
	})
}
