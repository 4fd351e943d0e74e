package instance

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/daemonkit/daemonkit/internal/testutil"

	"github.com/daemonkit/daemonkit/pidfile"
)

// unprivilegedTests behave differently for a user other than root; as root,
// TestUnprivileged runs them again as nobody.
const unprivilegedTests = "^(TestInspectPermissionDenied|TestDefaultStateDir|TestFormerStateDirs|TestEnsureStateDirCreates|TestResolveDefaults|TestResolveNameFromPidfile|TestEnsureStateDirRefuses|TestClaimLogUnwritableStateDirReadsNoRecords|TestWriteRecordInUnwritableDir)$"

func TestUnprivileged(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("already unprivileged: the tests ran as this user")
	}
	bin := testutil.CopySelf(t, "instance.test")
	cmd := exec.Command(bin, "-test.run="+unprivilegedTests, "-test.v", "-test.count=1")
	cmd.Dir = "/"
	cmd.Env = append(os.Environ(), "TMPDIR=/tmp", "XDG_RUNTIME_DIR=")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("tests as nobody: %v\n%s", err, out)
	}
	if strings.Contains(string(out), "--- SKIP") || strings.Contains(string(out), "--- FAIL") || !strings.Contains(string(out), "--- PASS: TestInspectPermissionDenied") {
		t.Fatalf("tests as nobody did not all run:\n%s", out)
	}
	t.Logf("as nobody:\n%s", out)
}

// otherUserPIDFileEnv gives TestStopAsOtherUser the pidfile of a daemon root started.
const otherUserPIDFileEnv = "DAEMONKIT_INSTANCE_TEST_ROOT_PIDFILE"

// TestStopNotPermitted starts a daemon as root and has nobody try to stop and signal it.
func TestStopNotPermitted(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run a daemon nobody may signal")
	}
	bin := testutil.CopySelf(t, "instance.test")
	p, err := Layout{StateDir: filepath.Dir(bin)}.Resolve("svc", "", "")
	if err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, graceful, p.PIDFile, false)
	cmd := exec.Command(bin, "-test.run=^TestStopAsOtherUser$", "-test.v", "-test.count=1")
	cmd.Dir = "/"
	cmd.Env = append(os.Environ(), otherUserPIDFileEnv+"="+p.PIDFile)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestStopAsOtherUser") {
		t.Fatalf("stop as nobody: %v\n%s", err, out)
	}
	t.Logf("as nobody:\n%s", out)
	mustRunning(t, d.pid, true)
	mustState(t, p, pidfile.Running)
}

// TestStopAsOtherUser runs as nobody under TestStopNotPermitted.
func TestStopAsOtherUser(t *testing.T) {
	path := os.Getenv(otherUserPIDFileEnv)
	if path == "" {
		t.Skip("run by TestStopNotPermitted only")
	}
	p, err := Layout{}.Resolve("", path, "/dev/null")
	if err != nil {
		t.Fatal(err)
	}
	st := mustState(t, p, pidfile.Running)
	want := "signal pid " + strconv.Itoa(st.PID) + ": permission denied"
	res, err := Stop(stopCtx(t), p, StopOptions{Timeout: time.Millisecond})
	if !errors.Is(err, os.ErrPermission) || !strings.Contains(err.Error(), want) {
		t.Fatalf("Stop = %+v, %v; want os.ErrPermission saying %q", res, err, want)
	}
	t.Log(err)
	if _, err := Signal(p, syscall.SIGUSR1); !errors.Is(err, os.ErrPermission) || !strings.Contains(err.Error(), want) {
		t.Fatalf("Signal = %v; want os.ErrPermission saying %q", err, want)
	}
}
