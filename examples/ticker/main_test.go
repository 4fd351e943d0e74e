//go:build linux

package main

import (
	"testing"

	"github.com/daemonkit/daemonkit/internal/scripttest"
)

// TestMain makes this test binary the ticker whenever it is run under that name
// (scripttest.Main).
func TestMain(m *testing.M) { scripttest.Main(m, "ticker", main) }

// TestScripts runs every testdata/script/<command>_<scenario>.txtar against the ticker.
func TestScripts(t *testing.T) {
	scripttest.Run(t, "testdata/script", "TICKER_")
}
