package proc

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/daemonkit/daemonkit/internal/testutil"
)

func TestMain(m *testing.M) {
	testutil.Main(m, helpers)
}

// helpers are the helpers this test binary plays (testutil.Main); a file for one system
// adds its own.
var helpers = map[string]func() int{"signal": signalHelper, "forked": forkedHelper}

// signalHelper opens $PID and sends it SIGTERM, printing whether the error wraps
// os.ErrPermission, and the error.
func signalHelper() int {
	v := os.Getenv("PID")
	pid, err := strconv.Atoi(v)
	if err != nil {
		fmt.Println("bad pid", v)
		return 2
	}
	p, err := Open(pid)
	if err == nil {
		err = p.Signal(syscall.SIGTERM)
		p.Close()
	}
	fmt.Printf("%v\n%v\n", errors.Is(err, os.ErrPermission), err)
	return 0
}

// TestSignalNotPermitted checks that a refused signal wraps os.ErrPermission and names the
// pid. As root it runs a copy of the test binary as nobody (65534) against a root `sleep`.
func TestSignalNotPermitted(t *testing.T) {
	if os.Geteuid() != 0 {
		p, err := Open(1)
		if err != nil {
			t.Skipf("cannot open pid 1: %v", err)
		}
		defer p.Close()
		if err := p.Signal(0); !errors.Is(err, os.ErrPermission) || !strings.Contains(err.Error(), "pid 1") {
			t.Fatalf("Signal(pid 1) as non-root = %v, want os.ErrPermission naming the pid", err)
		}
		return
	}
	cmd := testutil.StartSleep(t)
	helper := testutil.Helper(t, "signal", nil, "PID="+strconv.Itoa(cmd.Process.Pid))
	helper.Path = testutil.CopySelf(t, "proc.test")
	helper.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := helper.Output()
	if err != nil {
		t.Skipf("cannot run the test binary as nobody: %v", err)
	}
	lines := strings.SplitN(strings.TrimSpace(string(out)), "\n", 2)
	if len(lines) != 2 || lines[0] != "true" || !strings.Contains(lines[1], "pid "+strconv.Itoa(cmd.Process.Pid)) {
		t.Fatalf("helper as nobody said %q, want os.ErrPermission naming pid %d", out, cmd.Process.Pid)
	}
	t.Logf("as nobody: %s", lines[1])
	mustRunning(t, cmd.Process.Pid, true)
}
