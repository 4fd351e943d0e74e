package reexec

import (
	"os"
	"strings"
	"syscall"
	"testing"
)

// TestStartFailedSaysWhichFork checks what the launcher is told when the intermediate's
// fork of the daemon meets the limit on processes: which fork failed, EAGAIN, and the way
// out, a higher ulimit -u. It used to be the bare error of os/exec, "fork/exec
// /proc/self/exe: resource temporarily unavailable", which start printed as it was: the
// launcher's own fork of the same path is explained. It offered --strategy setsid too,
// whose daemon, at the same limit, cannot make its threads either.
func TestStartFailedSaysWhichFork(t *testing.T) {
	err := startFailed(&os.PathError{Op: "fork/exec", Path: "/proc/self/exe", Err: syscall.EAGAIN}, 42)
	msg := err.Error()
	for _, want := range []string{"intermediate process (pid 42)", "fork the daemon (EAGAIN)", "fork/exec /proc/self/exe: resource temporarily unavailable", "RLIMIT_NPROC"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error = %q\nwant it to say %q", msg, want)
		}
	}
	if strings.Contains(msg, "setsid") {
		t.Errorf("error = %q\noffers the setsid strategy, which fails at the same limit", msg)
	}
	other := startFailed(&os.PathError{Op: "fork/exec", Path: "/proc/self/exe", Err: syscall.ENOENT}, 42).Error()
	if !strings.Contains(other, "intermediate process (pid 42) could not start the daemon: fork/exec") || strings.Contains(other, "ulimit") {
		t.Errorf("error = %q, want the intermediate named, and no limit", other)
	}
}
