package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"

	"github.com/daemonkit/daemonkit/internal/scripttest"
	"github.com/daemonkit/daemonkit/internal/testutil"
)

// TestStartRunningAsOtherUser: start of an instance that runs, by a user who may neither
// read nor write its record (root started it, in a state directory both reach), says it
// is already running, exit 3, as for its owner and as status says; it used to fail on the
// record first (exit 1: write record ...: permission denied).
func TestStartRunningAsOtherUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run the commands as another user")
	}
	bin := testutil.CopySelf(t, "daemonkit")
	state := testutil.ReachableTempDir(t)
	t.Cleanup(func() { scripttest.KillDaemonsUnder(t.Log, state) })
	run := func(uid int, args ...string) (string, string, int) {
		t.Helper()
		var out, errs bytes.Buffer
		cmd := exec.Command(bin, append([]string{"--state-dir", state, "--log-dir", state}, args...)...)
		cmd.Dir, cmd.Stdout, cmd.Stderr = "/", &out, &errs
		cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=/", testutil.GORACE()}
		if uid != 0 {
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid)}}
		}
		_ = cmd.Run()
		t.Logf("uid %d %v: exit %d\n%s%s", uid, args, cmd.ProcessState.ExitCode(), out.String(), errs.String())
		return out.String(), errs.String(), cmd.ProcessState.ExitCode()
	}
	out, _, code := run(0, "start", "-d", "--strategy", "setsid", "--name", "web", "--", "sleep", "1000")
	m := regexp.MustCompile(`^started web \(pid (\d+),`).FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("start as root: exit %d, want 0", code)
	}
	if fi, err := os.Stat(filepath.Join(state, "web.json")); err != nil || fi.Mode().Perm()&0o044 != 0 {
		t.Fatalf("the record: %v, %v; want it private to root", fi, err)
	}
	const nobody = 65534
	if _, _, code := run(nobody, "status", "--name", "web"); code != 0 {
		t.Fatalf("status as another user: exit %d, want 0 (running)", code)
	}
	_, errs, code := run(nobody, "start", "-d", "--name", "web", "--", "sleep", "1000")
	if want := "daemonkit: web is already running (pid " + m[1] + ")\n"; code != 3 || errs != want {
		t.Fatalf("start as another user: exit %d, %q; want exit 3, %q", code, errs, want)
	}
}
