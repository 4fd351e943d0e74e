package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
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
	run := runAsIn(t, testutil.ReachableTempDir(t))
	out, _, code := run.as(0, "start", "-d", "--strategy", "setsid", "--name", "web", "--", "sleep", "1000")
	m := regexp.MustCompile(`^started web \(pid (\d+),`).FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("start as root: exit %d, want 0", code)
	}
	if fi, err := os.Stat(filepath.Join(run.state, "web.json")); err != nil || fi.Mode().Perm()&0o044 != 0 {
		t.Fatalf("the record: %v, %v; want it private to root", fi, err)
	}
	if _, _, code := run.as(nobody, "status", "--name", "web"); code != 0 {
		t.Fatalf("status as another user: exit %d, want 0 (running)", code)
	}
	_, errs, code := run.as(nobody, "start", "-d", "--name", "web", "--", "sleep", "1000")
	if want := "daemonkit: web is already running (pid " + m[1] + ")\n"; code != 3 || errs != want {
		t.Fatalf("start as another user: exit %d, %q; want exit 3, %q", code, errs, want)
	}
}

// TestStartStateDirNotWritable: a user who may not write the state directory (root's, say,
// named by a DAEMONKIT_STATE_DIR both share) is told so, and what to give instead, exit 1:
// it used to get "acquire pidfile ...: permission denied" alone.
func TestStartStateDirNotWritable(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run the commands as another user")
	}
	run := runAsIn(t, testutil.ReachableTempDir(t))
	_, errs, code := run.as(nobody, "start", "-d", "--name", "web", "--", "sleep", "1000")
	if want := "permission denied: uid 65534 may not write it, or its directory " + run.state + ": give --state-dir"; code != 1 || !strings.Contains(errs, want) {
		t.Fatalf("start in a directory it may not write: exit %d, %q; want exit 1, with %q", code, errs, want)
	}
}

const nobody = 65534

// runner runs this test binary as daemonkit, on the state directory state.
type runner struct {
	t     *testing.T
	bin   string
	state string
}

// runAsIn is a runner on state, which kills every daemon left under it when the test ends.
func runAsIn(t *testing.T, state string) runner {
	t.Cleanup(func() { scripttest.KillDaemonsUnder(t.Log, state) })
	return runner{t: t, bin: testutil.CopySelf(t, "daemonkit"), state: state}
}

// as runs daemonkit args as uid, from /, with a minimal environment, and returns its
// stdout, stderr and exit code.
func (r runner) as(uid int, args ...string) (string, string, int) {
	r.t.Helper()
	var out, errs bytes.Buffer
	cmd := exec.Command(r.bin, append([]string{"--state-dir", r.state, "--log-dir", r.state}, args...)...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = "/", &out, &errs
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=/", testutil.GORACE()}
	if uid != 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid)}}
	}
	_ = cmd.Run()
	r.t.Logf("uid %d %v: exit %d\n%s%s", uid, args, cmd.ProcessState.ExitCode(), out.String(), errs.String())
	return out.String(), errs.String(), cmd.ProcessState.ExitCode()
}
