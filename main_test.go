//go:build linux

package main

import (
	"os"
	"runtime"
	"strings"
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

// TestScriptsRunSeveralPerCPU: the scripts mostly wait on daemons, so Main runs more of
// them at once than the testing package's default of one per CPU, unless -parallel is
// given.
func TestScriptsRunSeveralPerCPU(t *testing.T) {
	for _, arg := range os.Args[1:] {
		if strings.HasPrefix(arg, "-test.parallel") {
			t.Skipf("-parallel given: %s", arg)
		}
	}
	if got, want := scripttest.ScriptsAtOnce(), 2*runtime.GOMAXPROCS(0); got != want {
		t.Errorf("scripts at once: %d, want %d", got, want)
	}
}
