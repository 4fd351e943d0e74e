package instance

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/daemonkit/daemonkit/internal/proc"
)

// TestWaitsInKernel: the error of a daemon still running after SIGKILL says why when a
// thread of it waits in the kernel (state D: a frozen disk held a stopped supervisor so
// for as long as the freeze lasted), and adds nothing otherwise; a process asleep as any
// is (sleep, state S) is not taken for one.
func TestWaitsInKernel(t *testing.T) {
	sleeper := exec.Command("sleep", "1000")
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	killAtEnd(t, sleeper.Process.Pid)
	go func() { _ = sleeper.Wait() }() // reaped when it dies: gone, not a zombie
	if proc.InKernelWait(sleeper.Process.Pid) {
		t.Errorf("a sleeping process (pid %d) taken for one waiting in the kernel", sleeper.Process.Pid)
	}
	if got := waitsInKernel(sleeper.Process.Pid); got != "" {
		t.Errorf("waitsInKernel of a sleeping process = %q, want nothing", got)
	}
	defer func(was func(int) bool) { inKernelWait = was }(inKernelWait)
	inKernelWait = func(int) bool { return true }
	if got := waitsInKernel(42); !strings.Contains(got, "waits in the kernel (state D)") || !strings.Contains(got, "frozen or hung disk") {
		t.Errorf("waitsInKernel of a process in state D = %q, want it to say why", got)
	}
}
