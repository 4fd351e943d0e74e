//go:build linux

package main

import (
	"testing"

	"github.com/daemonkit/daemonkit/internal/scripttest"
)

// TestMain makes this test binary flagapp whenever it is run under that name
// (scripttest.Main).
func TestMain(m *testing.M) { scripttest.Main(m, "flagapp", main) }

// TestScripts runs every testdata/script/<command>_<scenario>.txtar against flagapp.
func TestScripts(t *testing.T) {
	scripttest.Run(t, "testdata/script", "FLAGAPP_")
}
