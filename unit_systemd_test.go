//go:build linux

package main

import (
	"context"
	"fmt"
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
// at once makes systemctl start fail. A program that speaks sd_notify itself is ready when
// it says so, its STATUS= shows, systemctl reload reaches it with MainPID unchanged, and
// daemonkit status names MainPID; daemonkit restart of it points at systemctl, and
// daemonkit stop warns that systemd runs it. A program that crashes later is restarted by
// systemd's Restart=, --max-restarts times, by one supervisor. With --user the service
// runs as the user with the unit's UMask=, LimitNOFILE=, --env and --env-file, binds a
// --socket port below 1024, and unit warns of a daemonkit executable the user may not
// run. systemd-analyze verify passes on every unit.
func TestUnitUnderSystemd(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("booting systemd needs root")
	}
	dir := t.TempDir()
	private := filepath.Join(dir, "private") // another user may not reach what is in it
	if err := os.Mkdir(private, 0o700); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(private, "daemonkit")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	pub := testutil.ReachableTempDir(t) // what the user's service runs and reads
	pubBin := filepath.Join(pub, "daemonkit")
	if out, err := exec.Command("cp", bin, pubBin).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v\n%s", err, out)
	}
	state, logs := filepath.Join(dir, "state"), filepath.Join(dir, "logs")
	// printUnit runs exe's unit command with args (global flags first) and returns the unit,
	// verified, and what unit wrote to stderr.
	printUnit := func(exe string, args ...string) (unit, stderr string) {
		t.Helper()
		cmd := exec.Command(exe, args...)
		cmd.Env = testutil.Environ("DAEMONKIT_STATE_DIR=", "DAEMONKIT_LOG_DIR=")
		var errBuf strings.Builder
		cmd.Stderr = &errBuf
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("daemonkit %v: %v\n%s", args, err, errBuf.String())
		}
		path := filepath.Join(dir, "check", fmt.Sprintf("%d.service", len(args)+len(out)))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, out, 0o644); err != nil {
			t.Fatal(err)
		}
		systemdtest.Verify(t, path)
		return string(out), errBuf.String()
	}
	unit := func(args ...string) string {
		t.Helper()
		text, _ := printUnit(bin, append([]string{"--state-dir", state, "unit"}, args...)...)
		return text
	}
	logPath := filepath.Join(logs, "web.log")
	webUnit := unit("--name", "web", "--listen", "127.0.0.1:18913", "--log", logPath, "--heartbeat", "20ms")
	failUnit := unit("--name", "fails", "--", "/bin/sh", "-c", "echo about to fail; exit 3")
	notifyProg := filepath.Join(pub, "speaks-notify")
	if err := os.WriteFile(notifyProg, []byte(`#!/bin/sh
trap 'echo got HUP' HUP
systemd-notify --status=loading
sleep 0.2
systemd-notify --ready --status=serving
while :; do sleep 0.05; done
`), 0o755); err != nil {
		t.Fatal(err)
	}
	notifyUnit := unit("--name", "nt", "--ready", "notify", "--", notifyProg)
	crashUnit := unit("--name", "crash", "--restart", "on-failure", "--max-restarts", "1", "--min-uptime", "5s",
		"--", "/bin/sh", "-c", "sleep 0.3; exit 1")
	envFile := filepath.Join(pub, "env")
	if err := os.WriteFile(envFile, []byte("BAR=qux\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	userArgs := []string{"unit", "--name", "usr", "--user", "nobody", "--umask", "0027", "--limit-nofile", "4096",
		"--env", "FOO=bar baz", "--env-file", envFile, "--socket", "tcp:127.0.0.1:1020", "--", "/bin/sh", "-c",
		`echo "uid=$(id -u) umask=$(umask) nofile=$(ulimit -n) FOO=$FOO BAR=$BAR LISTEN_FDS=$LISTEN_FDS"; exec sleep 1000`}
	if _, stderr := printUnit(bin, userArgs...); !strings.Contains(stderr, "warning: ExecStart's "+bin+": uid 65534 may not enter ") {
		t.Errorf("unit --user nobody from a binary nobody may not run: no warning of it (systemd would fail it 203/EXEC):\n%s", stderr)
	}
	userUnit, stderr := printUnit(pubBin, userArgs...)
	if stderr != "" {
		t.Errorf("unit --user nobody with all in reach warned:\n%s", stderr)
	}

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

	journal := func(unit string) string {
		out, _ := sd.Exec(ctx, "journalctl", "-u", unit, "--no-pager", "-o", "cat")
		return out
	}
	daemonkit := func(args ...string) (stdout, stderr string, err error) { // inside, where the pids are
		cmd := sd.Command(ctx, bin, append([]string{"--state-dir", state}, args...)...)
		var outBuf, errBuf strings.Builder
		cmd.Stdout, cmd.Stderr = &outBuf, &errBuf
		err = cmd.Run()
		return outBuf.String(), errBuf.String(), err
	}

	// A program that speaks sd_notify: ready when it says so, its STATUS= in systemd's.
	sd.Install(t, "nt.service", notifyUnit)
	if out, err := sd.Systemctl(ctx, "start", "nt.service"); err != nil {
		t.Fatalf("systemctl start nt: %v\n%s", err, out)
	}
	if status := sd.Show(t, "nt.service", "StatusText"); status != "serving" {
		t.Errorf("right after start, StatusText=%q, want the program's \"serving\"", status)
	}
	mainPID = sd.Show(t, "nt.service", "MainPID")
	if out, _, err := daemonkit("status", "--name", "nt"); err != nil || !strings.Contains(out, "(pid "+mainPID+",") {
		t.Errorf("daemonkit status while MainPID=%s: %v\n%s", mainPID, err, out)
	}
	if out, err := sd.Systemctl(ctx, "reload", "nt.service"); err != nil {
		t.Fatalf("systemctl reload nt: %v\n%s", err, out)
	}
	testutil.WaitFor(t, "the program's HUP handler", func() bool { return strings.Contains(journal("nt.service"), "got HUP") })
	if pid := sd.Show(t, "nt.service", "MainPID"); pid != mainPID {
		t.Errorf("the main pid changed on reload: %s, was %s", pid, mainPID)
	}
	// daemonkit's own restart and stop of it: systemd's to do, and they say so
	if _, stderr, err := daemonkit("restart", "--name", "nt"); err == nil || !strings.Contains(stderr, "'systemctl restart nt.service'") {
		t.Errorf("daemonkit restart of a unit's instance: %v\n%s", err, stderr)
	}
	if pid := sd.Show(t, "nt.service", "MainPID"); pid != mainPID {
		t.Errorf("daemonkit restart, refused, changed the main pid: %s, was %s", pid, mainPID)
	}
	if out, stderr, err := daemonkit("stop", "--name", "nt"); err != nil || !strings.Contains(out, "stopped nt") ||
		!strings.Contains(stderr, "warning: nt ran as systemd's nt.service") {
		t.Errorf("daemonkit stop of a unit's instance: %v\n%s%s", err, out, stderr)
	}
	testutil.WaitFor(t, "nt.service inactive", func() bool { return sd.Show(t, "nt.service", "ActiveState") == "inactive" })

	// A program that crashes later: systemd's Restart= restarts it, --max-restarts times.
	sd.Install(t, "crash.service", crashUnit)
	if out, err := sd.Systemctl(ctx, "start", "crash.service"); err != nil {
		t.Fatalf("systemctl start crash: %v\n%s", err, out)
	}
	testutil.WaitFor(t, "crash.service failed", func() bool { return sd.Show(t, "crash.service", "ActiveState") == "failed" })
	if runs := strings.Count(journal("crash.service"), "daemonkit: started: "); runs != 2 {
		t.Errorf("crash.service ran %d times, want 2 (--max-restarts 1):\n%s", runs, journal("crash.service"))
	}

	// As the user, with the unit's UMask= and LimitNOFILE=, --env and --env-file, and a
	// --socket on a port below 1024 (AmbientCapabilities=), which start -d binds as root.
	sd.Install(t, "usr.service", userUnit)
	if out, err := sd.Systemctl(ctx, "start", "usr.service"); err != nil {
		t.Fatalf("systemctl start usr: %v\n%s\n%s", err, out, journal("usr.service"))
	}
	want := "uid=65534 umask=0027 nofile=4096 FOO=bar baz BAR=qux LISTEN_FDS=1"
	testutil.WaitFor(t, want, func() bool { return strings.Contains(journal("usr.service"), want) })
	if out, err := sd.Systemctl(ctx, "stop", "usr.service"); err != nil {
		t.Fatalf("systemctl stop usr: %v\n%s", err, out)
	}
}
