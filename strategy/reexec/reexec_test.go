//go:build linux

package reexec_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/daemonkit/daemonkit/handshake"
	"github.com/daemonkit/daemonkit/strategy"
	"github.com/daemonkit/daemonkit/strategy/reexec"
	"github.com/daemonkit/daemonkit/strategy/strategytest"
)

func TestMain(m *testing.M) { strategytest.Main(m) }

// TestLeavesBehind checks the reexec row of docs/strategies.md against a real daemon.
func TestLeavesBehind(t *testing.T) {
	strategytest.CheckTraits(t, reexec.Name, strategy.Traits{
		NewSession: true,
		DefaultDir: "/",
	})
}

// TestContinueWithoutHandshake runs the intermediate by hand, with no handshake pipe: it
// refuses, and starts nothing.
func TestContinueWithoutHandshake(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	e := strategytest.New(t)
	var stderr bytes.Buffer
	cmd := exec.Command(self, append([]string{reexec.Command}, e.DaemonArgs()...)...)
	cmd.Stderr = &stderr
	err = cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("exit: %v, want exit status 1", err)
	}
	if !strings.Contains(stderr.String(), "handshake descriptor 3") {
		t.Errorf("stderr = %q, want it to say what is wrong with descriptor 3", stderr.String())
	}
	if pids := e.PIDs(); len(pids) != 0 {
		t.Errorf("fake daemons started: %v", pids)
	}
}

// TestContinueCannotStart has the intermediate fail to start the daemon: it reports why
// down the handshake and exits 1.
func TestContinueCannotStart(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := exec.Command(self, reexec.Command) // no daemon command after it
	cmd.ExtraFiles = []*os.File{w}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	var rep handshake.Report
	decErr := json.NewDecoder(r).Decode(&rep)
	err = cmd.Wait()
	if decErr != nil {
		t.Fatalf("read report: %v", decErr)
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Errorf("exit: %v, want exit status 1", err)
	}
	if rep.PID != cmd.Process.Pid || rep.Error != "the reexec strategy's intermediate process (pid "+strconv.Itoa(cmd.Process.Pid)+") could not start the daemon: no daemon command after _reexec" {
		t.Errorf("report = %+v, want the intermediate's pid %d and why it failed", rep, cmd.Process.Pid)
	}
}
