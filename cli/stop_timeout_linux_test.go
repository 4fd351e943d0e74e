package cli

import (
	"encoding/json"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/daemonkit/daemonkit/internal/testutil"
)

// TestDaemonRequest: the request of a daemon still starting, which has written no record
// yet (its --shutdown-timeout, its --ready-timeout), is read from the environment it was
// executed with, a request larger than one variable (its continuations) included; a
// process without one says none.
func TestDaemonRequest(t *testing.T) {
	for _, size := range []int{0, 3 * requestChunk} {
		raw, err := json.Marshal(request{Program: "daemonkit", ShutdownTimeout: 30 * time.Second, Cwd: strings.Repeat("p", size)})
		if err != nil {
			t.Fatal(err)
		}
		pid := sleeper(t, withRequest(os.Environ(), string(raw)))
		if got, ok := daemonRequest(pid); !ok || got.ShutdownTimeout != 30*time.Second {
			t.Errorf("request of %d bytes: daemonRequest = %v, %v; want a --shutdown-timeout of 30s", len(raw), got.ShutdownTimeout, ok)
		}
	}
	if _, ok := daemonRequest(sleeper(t, os.Environ())); ok {
		t.Errorf("no request: daemonRequest found one")
	}
}

// sleeper starts a process with env that runs until the test ends, and returns its pid
// once its environment can be read.
func sleeper(t *testing.T, env []string) int {
	t.Helper()
	cmd := exec.Command("sleep", "600")
	cmd.Env = env
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	pid := cmd.Process.Pid
	testutil.WaitFor(t, "sleep to be executed", func() bool {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
		return err == nil && strings.TrimSpace(string(b)) == "sleep"
	})
	return pid
}
