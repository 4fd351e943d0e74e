//go:build linux

package main

import (
	"io"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/internal/scripttest"
	"github.com/daemonkit/daemonkit/internal/testutil"
)

// TestDaemonSurvivesItsTerminal is the original article's own test, for every strategy:
// start a daemon from a shell in a pseudo-terminal, close the terminal so its session is
// hung up, and the daemon still answers.
func TestDaemonSurvivesItsTerminal(t *testing.T) {
	for _, strategyName := range []string{"reexec", "setsid", "nohup"} {
		t.Run(strategyName, func(t *testing.T) {
			state := t.TempDir()
			name := "tty-" + strategyName
			env := testutil.Environ("DAEMONKIT_STATE_DIR="+state, "DAEMONKIT_LOG_DIR="+state)
			pid := scripttest.Hangup(t, "daemonkit", strategyName, name, state, env)

			rec, err := instance.ReadRecord(filepath.Join(state, name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.Get("http://" + rec.Listen + "/healthz")
			if err != nil {
				t.Fatalf("the daemon does not answer after its terminal closed: %v", err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || string(body) != "ok\n" {
				t.Fatalf("/healthz after hang-up: %d %q", resp.StatusCode, body)
			}
			scripttest.StopsPID(t, "daemonkit", name, env, pid)
		})
	}
}
