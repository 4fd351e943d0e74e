//go:build linux

package nohup_test

import (
	"testing"

	"github.com/daemonkit/daemonkit/strategy"
	"github.com/daemonkit/daemonkit/strategy/internal/fakedaemon"
	"github.com/daemonkit/daemonkit/strategy/nohup"
)

func TestMain(m *testing.M) { fakedaemon.Main(m) }

// TestLeavesBehind checks DESIGN.md's nohup column against a real daemon.
func TestLeavesBehind(t *testing.T) {
	fakedaemon.CheckLeftBehind(t, nohup.Name, strategy.Traits{
		KeepsTerminal: true,
		IgnoresHUP:    true,
	})
}
