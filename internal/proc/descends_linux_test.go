package proc

import (
	"os"
	"os/exec"
	"testing"
)

// TestDescendsFrom: a process descends from itself, its parent and a child of its own
// descends from it; init, and this process's parent, do not descend from it.
func TestDescendsFrom(t *testing.T) {
	self := os.Getpid()
	cmd := exec.Command("sleep", "1000")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	for _, tc := range []struct {
		pid, ancestor int
		want          bool
	}{
		{self, self, true},
		{self, os.Getppid(), true},
		{cmd.Process.Pid, self, true},
		{1, self, false},
		{os.Getppid(), self, false},
	} {
		if got := DescendsFrom(tc.pid, tc.ancestor); got != tc.want {
			t.Errorf("DescendsFrom(%d, %d) = %v, want %v", tc.pid, tc.ancestor, got, tc.want)
		}
	}
}
