package proc

import (
	"os"
	"os/exec"
	"testing"
	"time"
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

// TestAge: a process just started is seconds old at most; this one is no younger than
// the one it starts.
func TestAge(t *testing.T) {
	cmd := exec.Command("sleep", "1000")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	child, ok := Age(cmd.Process.Pid)
	if !ok || child > 5*time.Second {
		t.Errorf("Age of a process just started = %v, %v; want a few seconds at most", child, ok)
	}
	self, ok := Age(os.Getpid())
	if !ok || self+50*time.Millisecond < child {
		t.Errorf("Age of this process = %v, %v; want no younger than its child's %v", self, ok, child)
	}
}
