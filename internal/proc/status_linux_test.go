package proc

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/daemonkit/daemonkit/internal/testutil"
)

// TestSignalAction: sleep leaves SIGHUP at its default action; a process under nohup
// ignores it; this process, whose Go runtime catches every signal, catches it.
func TestSignalAction(t *testing.T) {
	for _, tc := range []struct {
		argv []string
		want Action
	}{
		{[]string{"/bin/sleep", "1000"}, Default},
		{[]string{"/usr/bin/nohup", "/bin/sleep", "1000"}, Ignored},
	} {
		cmd := exec.Command(tc.argv[0], tc.argv[1:]...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		deadline := time.Now().Add(testutil.Deadline)
		for { // until it runs sleep: nohup sets SIG_IGN, then executes it
			if b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", cmd.Process.Pid)); string(b) == "sleep\n" || time.Now().After(deadline) {
				break
			}
			time.Sleep(time.Millisecond)
		}
		if got, err := SignalAction(cmd.Process.Pid, syscall.SIGHUP); err != nil || got != tc.want {
			t.Errorf("SignalAction(%v, SIGHUP) = %v, %v; want %v", tc.argv, got, err, tc.want)
		}
	}
	if got, err := SignalAction(os.Getpid(), syscall.SIGHUP); err != nil || got != Caught {
		t.Errorf("SignalAction(self, SIGHUP) = %v, %v; want caught", got, err)
	}
}

// TestSignalActionShellBlocksAMoment: a shell blocks every signal for a moment around
// each fork and wait; a loop that runs a command every 2ms does so about a sixth of the
// time. Its SIGUSR1 is at its default action all the same, and sent then it would end it
// once unblocked: SignalAction must never read it as taken.
func TestSignalActionShellBlocksAMoment(t *testing.T) {
	cmd := exec.Command("/bin/sh", "-c", "while :; do sleep 0.002; done")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	for range 100 {
		if got, err := SignalAction(cmd.Process.Pid, syscall.SIGUSR1); err != nil || got != Default {
			t.Fatalf("SignalAction(sh loop, SIGUSR1) = %v, %v; want its default action", got, err)
		}
	}
}
