//go:build linux

package launcher_test

import (
	"testing"

	"github.com/daemonkit/daemonkit/strategy/strategytest"
)

func TestMain(m *testing.M) { strategytest.Main(m) }
