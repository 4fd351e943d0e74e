//go:build linux

package reliability_test

import (
	"bufio"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestStopWithZombies: where the daemon's parent does not reap (PID 1 in many containers,
// and on some machines), a daemon that has exited stays a zombie until its parent reaps it.
// stop must count a zombie as gone. Each round starts a daemon under a parent that never
// reaps (a child subreaper that adopts the daemon and does nothing), stops it, and checks
// that stop returned while the daemon was still a zombie: it did not wait for a reaping that
// never comes. Then status says not running (exit 3) and the name can be started again
// though the zombie is still there. It logs how long after the daemon's exit stop
// returned (the exit is seen here through a pidfd), and asserts no time.
func TestStopWithZombies(t *testing.T) {
	e := newEnv(t)
	const name = "zomb"
	ws := workloads(t)
	var after, whole []time.Duration
	for i := range loops(30) {
		s := strategies[i%len(strategies)]
		args := append([]string{"start", "-d", "--strategy", s, "--name", name}, ws[(i/len(strategies))%len(ws)]...)
		parent, pid := e.startUnderNonreaper(name, args)
		if st, ok := stat(pid); !ok || st.ppid != parent.Process.Pid {
			t.Fatalf("round %d: the daemon's parent is %d, not the non-reaping parent %d", i, st.ppid, parent.Process.Pid)
		}

		pidfd, err := unix.PidfdOpen(pid, 0)
		if err != nil {
			t.Fatal(err)
		}
		exited := make(chan time.Time, 1)
		go func() {
			fds := []unix.PollFd{{Fd: int32(pidfd), Events: unix.POLLIN}}
			for {
				if _, err := unix.Poll(fds, -1); err != unix.EINTR {
					break
				}
			}
			exited <- time.Now()
		}()

		r := e.must(0, name, "stop", "--name", name)
		returned := time.Now()
		st, ok := stat(pid)
		if !ok || st.state != 'Z' {
			t.Fatalf("round %d (%s): when stop returned the daemon pid %d was not a zombie (state %c, present %v): "+
				"a parent that never reaps leaves one, so stop returned before the daemon exited, or waited for a reaping", i, s, pid, st.state, ok)
		}
		gone := <-exited
		_ = unix.Close(pidfd)
		after = append(after, returned.Sub(gone))
		whole = append(whole, r.took)

		e.must(3, name, "status", "--name", name)
		e.must(0, name, "start", "-d", "--strategy", s, "--name", name)
		e.must(0, name, "stop", "--name", name)
		e.noneLeft(name, "after stop")

		_ = parent.Process.Signal(syscall.SIGTERM) // it reaps its zombies, and exits
		if err := parent.Wait(); err != nil {
			t.Fatalf("the non-reaping parent: %v", err)
		}
	}
	t.Logf("stop returned this long after the daemon's exit: %s", summary(after))
	t.Logf("whole stop command, as a shell sees it:            %s", summary(whole))
}

// startUnderNonreaper runs daemonkit args under the nonreaper helper and returns the
// helper, still running, and the daemon's pid.
func (e *env) startUnderNonreaper(name string, args []string) (*exec.Cmd, int) {
	e.t.Helper()
	cmd := exec.Command(helperPath(e.t, "nonreaper"), append([]string{name, e.bin}, args...)...)
	cmd.Env = e.environ("nonreaper")
	out, err := cmd.StdoutPipe()
	if err != nil {
		e.t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() {
		_ = cmd.Process.Kill() // by pid: this test's child
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if strings.TrimSpace(line) != "exit 0" {
		e.t.Fatalf("daemonkit %s under a non-reaping parent: %q, %v\n%s", strings.Join(args, " "), line, err, stderr.String())
	}
	pid := e.holder(name)
	if pid == 0 {
		e.t.Fatal("no daemon holds the pidfile after start")
	}
	return cmd, pid
}

// summary is the median, the 90th percentile and the largest of ds.
func summary(ds []time.Duration) string {
	if len(ds) == 0 {
		return "no samples"
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return fmt.Sprintf("median %s, p90 %s, max %s (n=%d)",
		s[len(s)/2].Round(time.Microsecond), s[len(s)*9/10].Round(time.Microsecond), s[len(s)-1].Round(time.Microsecond), len(s))
}
