//go:build linux

package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/daemonkit/daemonkit/instance"
)

// TestSweepLooksOnlyAtLockHolders: the sweep at a serve function's stop kills a marked
// worker that holds no lock without a look at its descriptors (holdsInstanceLock, which
// reads every one: 100 ms for a worker with 20,000), and still looks at one that holds a
// POSIX lock, which may be another instance's daemon.
func TestSweepLooksOnlyAtLockHolders(t *testing.T) {
	t.Setenv(instance.InvocationEnv, "sweep-looks-only-at-lock-holders")
	var looked []int
	was := instanceLockHeld
	instanceLockHeld = func(pid int) bool { looked = append(looked, pid); return was(pid) }
	t.Cleanup(func() { instanceLockHeld = was })

	start := func(cmd *exec.Cmd) *exec.Cmd {
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		if _, err := out.Read(make([]byte, 1)); err != nil { // it is set up
			t.Fatalf("%v: %v", cmd.Args, err)
		}
		return cmd
	}
	plain := start(exec.Command("sh", "-c", "echo up; exec sleep 300"))
	locker := exec.Command(os.Args[0]) // lockPIDFile, which holds an fcntl lock, as a daemon does
	locker.Env = append(os.Environ(), "CLI_TEST_LOCK_PIDFILE="+filepath.Join(t.TempDir(), "worker.pid"))
	start(locker)

	w := serveWorkload{startLock: filepath.Join(t.TempDir(), ".x.start")}
	killed := w.Sweep()
	for _, c := range []*exec.Cmd{plain, locker} {
		if !slices.Contains(killed, c.Process.Pid) {
			t.Errorf("Sweep() = %v; want it to kill pid %d (%v)", killed, c.Process.Pid, c.Args)
		}
	}
	if slices.Contains(looked, plain.Process.Pid) {
		t.Errorf("the sweep looked at the descriptors of pid %d, which holds no lock", plain.Process.Pid)
	}
	if !slices.Contains(looked, locker.Process.Pid) {
		t.Errorf("the sweep did not look at the descriptors of pid %d, which holds a lock (looked at %v)", locker.Process.Pid, looked)
	}
}
