//go:build linux

package main

import (
	"maps"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/daemonkit/daemonkit/internal/scripttest"
)

// TestMain makes this test binary the daemonkit binary (and the scripts' small helper
// programs) whenever it is run under one of their names: that is how the scripts drive the
// real binary, re-exec and all.
func TestMain(m *testing.M) {
	programs := scripttest.Programs()
	maps.Copy(programs, map[string]func(){"daemonkit": main})
	testscript.Main(m, programs)
}

// TestScripts runs every testdata/script/<command>_<scenario>.txtar against the real binary.
func TestScripts(t *testing.T) {
	scripttest.Run(t, "testdata/script", "DAEMONKIT_")
}
