package main

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/daemonkit/daemonkit/internal/testutil"
)

// TestStateDirCannotCreate: a default state directory that cannot be made (a home the
// user may not write) is an error that names it, why, and how to choose another: the
// flag and the variable.
func TestStateDirCannotCreate(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run the command as another user")
	}
	const uid = 4100016
	home := ownedDir(t, uid)
	if err := os.Chmod(home, 0o500); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(testutil.CopySelf(t, "daemonkit"), "start", "-d", "--name", "web", "--", "sleep", "1000")
	var errs bytes.Buffer
	cmd.Dir, cmd.Stderr = "/", &errs
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + home}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: uid}}
	_ = cmd.Run()
	got := errs.String()
	t.Logf("exit %d: %s", cmd.ProcessState.ExitCode(), got)
	for _, want := range []string{home + "/.local/state/daemonkit", "permission denied", "--state-dir DIR", "DAEMONKIT_STATE_DIR"} {
		if !strings.Contains(got, want) {
			t.Errorf("start with a home it may not write: stderr %q; want it to say %q", got, want)
		}
	}
	if cmd.ProcessState.ExitCode() != 1 {
		t.Errorf("exit %d, want 1", cmd.ProcessState.ExitCode())
	}
}

// TestStateDirNotMadeForMissingProgram: a fresh user's first start of a program that is not
// there (a typo in its path, a name in no PATH directory) fails and makes nothing: not the
// default state directory with its missing parents (~/.local/state/daemonkit), nor a log
// in it. It used to make them all, and leave them, with the daemon's one error line.
func TestStateDirNotMadeForMissingProgram(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run the command as another user")
	}
	const uid = 4100018
	home := ownedDir(t, uid)
	bin := testutil.CopySelf(t, "daemonkit")
	for _, args := range [][]string{
		{"start", "-d", "--", "/nonexistent/prog"},
		{"start", "-d", "--", "no-such-program-anywhere"},
		{"start", "--", "/nonexistent/prog"},
	} {
		cmd := exec.Command(bin, args...)
		var errs bytes.Buffer
		cmd.Dir, cmd.Stderr = "/", &errs
		cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + home}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: uid}}
		_ = cmd.Run()
		t.Logf("%v: exit %d: %s", args, cmd.ProcessState.ExitCode(), errs.String())
		if cmd.ProcessState.ExitCode() != 1 || !strings.Contains(errs.String(), "exec: ") {
			t.Errorf("%v: exit %d, want 1 and exec's error", args, cmd.ProcessState.ExitCode())
		}
		if entries, err := os.ReadDir(home); err != nil || len(entries) > 0 {
			t.Fatalf("%v: the home %s holds %v (%v) after the failed start; want nothing made", args, home, entries, err)
		}
	}
}
