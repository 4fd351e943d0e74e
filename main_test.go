//go:build linux

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/daemonkit/daemonkit/internal/testutil"
	"github.com/daemonkit/daemonkit/pidfile"
)

// TestMain makes this test binary the daemonkit binary (and a few small helper programs)
// whenever it is run under one of their names: that is how the scripts drive the real
// binary, re-exec and all.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"daemonkit": main,
		"httpget":   httpGetMain,
		"withfd":    withFDMain,
	})
}

// TestScripts runs every testdata/script/<command>_<scenario>.txtar against the real binary.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			state := filepath.Join(env.WorkDir, "state")
			env.Setenv("DAEMONKIT_STATE_DIR", state)
			env.Setenv("DAEMONKIT_LOG_DIR", state)
			for _, kv := range testutil.Environ() {
				if v, ok := strings.CutPrefix(kv, "GORACE="); ok {
					env.Setenv("GORACE", v) // a -race daemon would sleep a second at every exit
				}
			}
			env.Defer(func() { killDaemonsUnder(env.T(), env.WorkDir) })
			return nil
		},
		Cmds: scriptCommands(),
	})
}

// killDaemonsUnder stops, by pid, every process that holds the lock of a pidfile under dir:
// whatever a script did or failed to do, no daemon of it outlives it.
func killDaemonsUnder(t testscript.T, dir string) {
	_ = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".pid" {
			return nil
		}
		st, err := pidfile.Probe(path)
		if err != nil || st.State != pidfile.Running {
			return nil
		}
		killAndWait(t.Log, st.PID)
		return nil
	})
}

// killAndWait SIGKILLs pid and waits, with a deadline, until it is gone or a zombie.
func killAndWait(logf func(...any), pid int) {
	p, err := proc.Open(pid)
	if err != nil {
		return // already gone
	}
	defer p.Close()
	if err := p.Signal(syscall.SIGKILL); err != nil {
		return
	}
	if err := waitGone(p, 10*time.Second); err != nil {
		logf(fmt.Sprintf("pid %d still there after SIGKILL: %v", pid, err))
	}
}
