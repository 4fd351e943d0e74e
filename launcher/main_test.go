//go:build linux

package strategy_test

import (
	"testing"

	"github.com/daemonkit/daemonkit/strategy/internal/fakedaemon"
)

func TestMain(m *testing.M) { fakedaemon.Main(m) }
