//go:build linux

package main

import (
	"testing"

	"github.com/daemonkit/daemonkit/internal/scripttest"
)

// TestMain makes this test binary the daemonkit binary whenever it is run under that name
// (scripttest.Main).
func TestMain(m *testing.M) { scripttest.Main(m, "daemonkit", main) }

// TestScripts runs every testdata/script/<command>_<scenario>.txtar against the real binary.
func TestScripts(t *testing.T) {
	scripttest.Run(t, "testdata/script", "DAEMONKIT_")
}
