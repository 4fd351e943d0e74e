package proc

import (
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/daemonkit/daemonkit/internal/testutil"
)

// forkedHelper prints Forked before this process starts a child, while the child runs, and
// once it has been reaped.
func forkedHelper() int {
	if os.Getenv("IGNORE_SIGCHLD") != "" {
		signal.Ignore(syscall.SIGCHLD) // the kernel reaps what this process starts, and counts nothing
	}
	before := Forked()
	child := exec.Command("sleep", "60")
	if err := child.Start(); err != nil {
		fmt.Println(err)
		return 1
	}
	running := Forked()
	_ = child.Process.Kill()
	_ = child.Wait()
	fmt.Println(before, running, Forked())
	return 0
}

// TestForked: a process that never started one has nothing that may run; one with a child,
// or that reaped one (whose own children may have outlived it), has.
func TestForked(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("Forked cannot tell here, and is always true")
	}
	out, err := testutil.Helper(t, "forked", nil).Output()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != "false true true" {
		t.Errorf("Forked before a child, with it, once reaped: %s, want false true true", got)
	}
	out, err = testutil.Helper(t, "forked", nil, "IGNORE_SIGCHLD=1").Output()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != "true true true" {
		t.Errorf("with SIGCHLD ignored, Forked before a child, with it, once reaped: %s, want true true true (it cannot tell)", got)
	}
}
