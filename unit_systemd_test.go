//go:build linux

package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/daemonkit/daemonkit/internal/systemdtest"
	"github.com/daemonkit/daemonkit/internal/testutil"
)

// TestUnitUnderSystemd installs what `daemonkit unit` prints into a real systemd (booted,
// guarded, in its own namespaces by systemdtest) and drives it: systemctl start returns
// only once the service is ready (active at once, and the server answers), systemctl
// reload reopens the log, systemctl stop leaves no process of it, and a program that exits
// at once makes systemctl start fail. systemd-analyze verify passes on the unit.
func TestUnitUnderSystemd(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("booting systemd needs root")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "daemonkit")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	state, logs := filepath.Join(dir, "state"), filepath.Join(dir, "logs")
	unit := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, append([]string{"--state-dir", state, "unit"}, args...)...)
		cmd.Env = testutil.Environ("DAEMONKIT_STATE_DIR=", "DAEMONKIT_LOG_DIR=")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("daemonkit unit %v: %v", args, err)
		}
		path := filepath.Join(dir, "check", args[1]+".service")
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, out, 0o644); err != nil {
			t.Fatal(err)
		}
		systemdtest.Verify(t, path)
		return string(out)
	}
	logPath := filepath.Join(logs, "web.log")
	webUnit := unit("--name", "web", "--listen", "127.0.0.1:18913", "--log", logPath, "--heartbeat", "20ms")
	failUnit := unit("--name", "fails", "--", "/bin/sh", "-c", "echo about to fail; exit 3")

	sd := systemdtest.Boot(t)
	ctx, cancel := context.WithTimeout(context.Background(), testutil.Deadline)
	defer cancel()
	sd.Install(t, "web.service", webUnit)
	if out, err := sd.Systemctl(ctx, "start", "web.service"); err != nil {
		t.Fatalf("systemctl start web: %v\n%s\n%s", err, out, sd.Console())
	}
	if state := sd.Show(t, "web.service", "ActiveState"); state != "active" {
		t.Fatalf("right after systemctl start returned, ActiveState=%s, want active", state)
	}
	resp, err := http.Get("http://127.0.0.1:18913/healthz")
	if err != nil {
		t.Fatalf("the service does not answer right after start: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "ok\n" {
		t.Fatalf("/healthz = %q", body)
	}
	mainPID := sd.Show(t, "web.service", "MainPID")

	// logrotate's way: move the log away, reload, and the new lines go to a new file
	if err := os.Rename(logPath, logPath+".1"); err != nil {
		t.Fatal(err)
	}
	if out, err := sd.Systemctl(ctx, "reload", "web.service"); err != nil {
		t.Fatalf("systemctl reload web: %v\n%s", err, out)
	}
	testutil.WaitFor(t, "a heartbeat in the reopened log", func() bool {
		b, _ := os.ReadFile(logPath)
		return strings.Contains(string(b), "reopened log") && strings.Contains(string(b), "heartbeat")
	})
	if pid := sd.Show(t, "web.service", "MainPID"); pid != mainPID {
		t.Errorf("the main pid changed on reload: %s, was %s", pid, mainPID)
	}

	if out, err := sd.Systemctl(ctx, "stop", "web.service"); err != nil {
		t.Fatalf("systemctl stop web: %v\n%s", err, out)
	}
	if pid := sd.Show(t, "web.service", "MainPID"); pid != "0" {
		t.Errorf("MainPID after stop = %s", pid)
	}
	for _, p := range sd.Procs(t) {
		if strings.Contains(strings.Join(p.Cmdline, " "), "daemonkit") {
			t.Errorf("left after stop: %+v", p)
		}
	}

	sd.Install(t, "fails.service", failUnit)
	if out, err := sd.Systemctl(ctx, "start", "fails.service"); err == nil {
		t.Errorf("systemctl start of a program that exits at once succeeded:\n%s", out)
	}
	if state := sd.Show(t, "fails.service", "ActiveState"); state != "failed" {
		t.Errorf("ActiveState=%s, want failed", state)
	}
}
