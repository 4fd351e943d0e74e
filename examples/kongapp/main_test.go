//go:build linux

package main

import (
	"maps"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/daemonkit/daemonkit/internal/scripttest"
)

// TestMain makes this test binary kongapp (and the scripts' small helper programs)
// whenever it is run under one of their names: the scripts drive the real program, its
// re-exec and daemon sides included.
func TestMain(m *testing.M) {
	programs := scripttest.Programs()
	maps.Copy(programs, map[string]func(){"kongapp": main})
	testscript.Main(m, programs)
}

// TestScripts runs every testdata/script/<command>_<scenario>.txtar against kongapp.
func TestScripts(t *testing.T) {
	scripttest.Run(t, "testdata/script", "KONGAPP_")
}
