package reexec

import (
	"os"
	"strings"
	"syscall"
	"testing"
)

// TestStartFailedSaysWhichFork checks what the launcher is told when the intermediate's
// fork of the daemon meets the limit on processes: which fork failed, EAGAIN, and the
// ways out, a higher ulimit -u or the setsid strategy. It used to be the bare error of
// os/exec, "fork/exec /proc/self/exe: resource temporarily unavailable", which start
// printed as it was: the launcher's own fork of the same path is explained.
func TestStartFailedSaysWhichFork(t *testing.T) {
	err := startFailed(&os.PathError{Op: "fork/exec", Path: "/proc/self/exe", Err: syscall.EAGAIN}, 42)
	msg := err.Error()
	for _, want := range []string{"intermediate process (pid 42)", "fork the daemon (EAGAIN)", "fork/exec /proc/self/exe: resource temporarily unavailable", "ulimit -u", "--strategy setsid"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error = %q\nwant it to say %q", msg, want)
		}
	}
	other := startFailed(&os.PathError{Op: "fork/exec", Path: "/proc/self/exe", Err: syscall.ENOENT}, 42).Error()
	if !strings.Contains(other, "intermediate process (pid 42) could not start the daemon: fork/exec") || strings.Contains(other, "ulimit") {
		t.Errorf("error = %q, want the intermediate named, and no limit", other)
	}
}
