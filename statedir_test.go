//go:build linux

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/daemonkit/daemonkit/internal/scripttest"
	"github.com/daemonkit/daemonkit/internal/testutil"
)

// TestStateDirSameInEveryContext: a user's default state directory is the same from a
// login shell, which has XDG_RUNTIME_DIR, as from cron, su or a service, which do not. From
// a bare environment, status sees the daemon a login shell started, a second start refuses
// to run beside it, and stop stops it; they used to look in another directory, where a
// second start ran a second daemon of the name. The user is one the account database does
// not know, so that its home comes from HOME.
func TestStateDirSameInEveryContext(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run the commands as another user")
	}
	const uid = 4100017
	bin := testutil.CopySelf(t, "daemonkit")
	home, runtimeDir := ownedDir(t, uid), ownedDir(t, uid)
	state := filepath.Join(home, ".local", "state", "daemonkit")
	t.Cleanup(func() { // wherever a start put it
		scripttest.KillDaemonsUnder(t.Log, home)
		scripttest.KillDaemonsUnder(t.Log, runtimeDir)
	})
	run := func(env []string, args ...string) (string, int) {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Dir, cmd.Env = "/", env
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: uid}}
		out, _ := cmd.CombinedOutput()
		t.Logf("%v: %s", args, out)
		return string(out), cmd.ProcessState.ExitCode()
	}
	login := []string{"PATH=/usr/bin:/bin", "HOME=" + home, "XDG_RUNTIME_DIR=" + runtimeDir}
	cron := []string{"PATH=/usr/bin:/bin", "HOME=" + home}

	out, code := run(login, "start", "-d", "--strategy", "setsid", "--name", "web", "--", "sleep", "1000")
	m := regexp.MustCompile(`^started web \(pid (\d+), .*log ` + regexp.QuoteMeta(state) + `/web\.log\)`).FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("start from a login shell: exit %d, want 0 and the log in %s", code, state)
	}
	pid, _ := strconv.Atoi(m[1])
	if out, code := run(cron, "status", "--name", "web"); code != 0 || !regexp.MustCompile(`^web is running \(pid `+m[1]+`,`).MatchString(out) {
		t.Fatalf("status from cron: exit %d, want 0: running (pid %d)", code, pid)
	}
	if _, code := run(cron, "start", "-d", "--strategy", "setsid", "--name", "web", "--", "sleep", "1000"); code != 3 {
		t.Fatalf("a second start from cron: exit %d, want 3 (already running)", code)
	}
	if out, code := run(cron, "stop", "--name", "web"); code != 0 || !regexp.MustCompile(`^stopped web \(pid `+m[1]+`\)`).MatchString(out) {
		t.Fatalf("stop from cron: exit %d, want 0: stopped (pid %d)", code, pid)
	}
	if fi, err := os.Stat(state); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("state directory %s: %v, %v; want mode 0700", state, fi, err)
	}

	// A daemon that an earlier daemonkit started in its default of then, under
	// XDG_RUNTIME_DIR, is not run a second time, and status and stop say where it is.
	// It ran here once too, and is stopped here: a restart here would run a second copy.
	former := filepath.Join(runtimeDir, "daemonkit")
	if _, code := run(login, "start", "-d", "--strategy", "setsid", "--name", "old", "--", "sleep", "1000"); code != 0 {
		t.Fatalf("start of old: exit %d", code)
	}
	if _, code := run(login, "stop", "--name", "old"); code != 0 {
		t.Fatalf("stop of old: exit %d", code)
	}
	if _, code := run(login, "--state-dir", former, "start", "-d", "--strategy", "setsid", "--name", "old", "--", "sleep", "1000"); code != 0 {
		t.Fatalf("start in %s: exit %d", former, code)
	}
	where := regexp.QuoteMeta("from " + former + ", where an earlier daemonkit kept it")
	if out, code := run(login, "restart", "--name", "old"); code != 1 || !regexp.MustCompile(`already running \(pid \d+\), `+where+`.*nothing was stopped or started`).MatchString(out) {
		t.Fatalf("restart of a name that runs from the former default: exit %d, want 1, saying where, and a second copy not started", code)
	}
	if out, code := run(login, "restart", "--name", "never"); code == 0 || strings.Contains(out, "runs from") {
		t.Fatalf("restart of a name that never ran: exit %d; want a failure, and no note of another", code)
	}
	// One that never ran here: the advice to start it would run a second copy.
	if _, code := run(login, "--state-dir", former, "start", "-d", "--strategy", "setsid", "--name", "fx", "--", "sleep", "1000"); code != 0 {
		t.Fatalf("start of fx in %s: exit %d", former, code)
	}
	if out, code := run(login, "restart", "--name", "fx"); code == 0 || !regexp.MustCompile(`no record of how fx was started .*, but an instance named fx runs `+where).MatchString(out) || strings.Contains(out, "start it with") {
		t.Fatalf("restart of a name that runs from the former default only: exit %d; want a failure saying where it runs, not how to start it", code)
	}
	if out, code := run(login, "logs", "--name", "fx"); code != 1 || !regexp.MustCompile(`fx has no log at .*: an instance named fx runs `+where+`.*'daemonkit logs --state-dir `+regexp.QuoteMeta(former)).MatchString(out) {
		t.Fatalf("logs of a name that runs from the former default only: exit %d, want 1, saying where it runs and the line that reaches it", code)
	}
	if _, code := run(login, "--state-dir", former, "stop", "--name", "fx"); code != 0 {
		t.Fatalf("stop of fx in %s: exit %d", former, code)
	}
	if out, code := run(login, "start", "-d", "--strategy", "setsid", "--name", "old", "--", "sleep", "1000"); code != 3 || !regexp.MustCompile(`already running \(pid \d+\), `+where).MatchString(out) {
		t.Fatalf("start of a name that runs from the former default: exit %d, want 3, saying where", code)
	}
	if out, code := run(login, "status", "--name", "old"); code != 3 || !regexp.MustCompile(`runs `+where).MatchString(out) {
		t.Fatalf("status of a name that runs from the former default: exit %d, want 3 and a note", code)
	}
	if out, code := run(login, "logs", "--name", "old"); code != 0 || !regexp.MustCompile(`note: an instance named old runs `+where+`.*'daemonkit logs --state-dir `+regexp.QuoteMeta(former)).MatchString(out) {
		t.Fatalf("logs of a name that runs from the former default, and ran here once: exit %d, want 0, its log here, and a note of where it runs and the line that reaches it", code)
	}
	if out, code := run(login, "stop", "--name", "old"); code != 0 || !regexp.MustCompile(`note: an instance named old runs `+where).MatchString(out) {
		t.Fatalf("stop of a name that runs from the former default: exit %d, want 0 and a note", code)
	}
	if out, code := run(login, "--state-dir", former, "stop", "--name", "old"); code != 0 || !strings.HasPrefix(out, "stopped old") {
		t.Fatalf("stop --state-dir %s: exit %d", former, code)
	}
}

// ownedDir is a new directory that uid owns and may reach.
func ownedDir(t *testing.T, uid int) string {
	t.Helper()
	dir := testutil.ReachableTempDir(t)
	if err := os.Chown(dir, uid, uid); err != nil {
		t.Fatal(err)
	}
	return dir
}
