package notify

import (
	"bufio"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/daemonkit/daemonkit/internal/testutil"
)

// TestDescendant checks Descendant against real processes: root, a child, a grandchild,
// an ancestor, a process reparented away, a pid that does not exist, and a root below 1.
func TestDescendant(t *testing.T) {
	// sh (root) starts sleep (a grandchild of this process) and waits.
	sh, grandchild := startShell(t, "sleep 1000 & echo $!; wait")
	t.Cleanup(func() { syscall.Kill(grandchild, syscall.SIGKILL) }) // before sh's: still sh's child, not yet reaped
	// sh2 starts sleep, says its pid and exits: the sleep is reparented away from sh2.
	sh2, orphan := startShell(t, "sleep 1000 & echo $!")
	t.Cleanup(func() { syscall.Kill(orphan, syscall.SIGKILL) })
	sh2.Wait()
	testutil.WaitFor(t, "the orphan to be reparented", func() bool {
		st, err := proc.ReadStat(orphan)
		return err == nil && st.PPID != sh2.Process.Pid
	})

	self := os.Getpid()
	for _, tc := range []struct {
		name      string
		root, pid int
		want      bool
	}{
		{"root itself", self, self, true},
		{"child", self, sh.Process.Pid, true},
		{"grandchild", self, grandchild, true},
		{"grandchild of the shell", sh.Process.Pid, grandchild, true},
		{"ancestor", sh.Process.Pid, self, false},
		{"parent of the test", self, os.Getppid(), false},
		{"sibling", sh.Process.Pid, orphan, false},
		{"reparented away", sh2.Process.Pid, orphan, false},
		{"pid 1", self, 1, false},
		{"no such pid", self, maxPID + 1, false},
		{"root 0", 0, self, false},
	} {
		if got := Descendant(tc.root)(tc.pid); got != tc.want {
			t.Errorf("%s: Descendant(%d)(%d) = %v, want %v", tc.name, tc.root, tc.pid, got, tc.want)
		}
	}
}

// startShell runs sh -c script, which prints a pid on its first line, and returns it with
// that pid. The shell is killed by pid when the test ends.
func startShell(t *testing.T, script string) (*exec.Cmd, int) {
	t.Helper()
	cmd := exec.Command("sh", "-c", script)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kill(cmd) })
	line, err := bufio.NewReader(out).ReadString('\n')
	pid, perr := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || perr != nil {
		t.Fatalf("sh -c %q printed %q, %v", script, line, err)
	}
	return cmd, pid
}
