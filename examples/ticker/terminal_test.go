//go:build linux

package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/daemonkit/daemonkit/internal/scripttest"
	"github.com/daemonkit/daemonkit/internal/testutil"
)

// TestTickerSurvivesItsTerminal is the original article's test, for the article's own
// program and every strategy: start the ticker with -d from a shell in a pseudo-terminal,
// close the terminal so its session is hung up, and the ticker goes on ticking.
func TestTickerSurvivesItsTerminal(t *testing.T) {
	for _, strategyName := range []string{"reexec", "setsid", "nohup"} {
		t.Run(strategyName, func(t *testing.T) {
			state := t.TempDir()
			name := "tty-" + strategyName
			env := testutil.Environ("TICKER_STATE_DIR="+state, "TICKER_LOG_DIR="+state)
			pid := scripttest.Hangup(t, "ticker", strategyName, name, state, env)

			// It must go on ticking: a tick later than any the log had at the hang-up.
			logPath := filepath.Join(state, name+".log")
			last := lastTick(t, logPath)
			testutil.WaitFor(t, "a tick after the hang-up", func() bool { return lastTick(t, logPath) > last || !scripttest.Alive(pid) })
			if !scripttest.Alive(pid) {
				t.Fatalf("the %s ticker (pid %d) died after its terminal closed", strategyName, pid)
			}
			scripttest.StopsPID(t, "ticker", name, env, pid)
		})
	}
}

var tickLine = regexp.MustCompile(`(?m)^tick ([0-9]+) `)

// lastTick is the number of the last "tick N" line in the log, 0 if none.
func lastTick(t *testing.T, logPath string) int {
	b, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	m := tickLine.FindAllSubmatch(b, -1)
	if len(m) == 0 {
		return 0
	}
	n, _ := strconv.Atoi(string(m[len(m)-1][1]))
	return n
}
