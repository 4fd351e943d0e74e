package proc

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// TestTasksOf: this user's tasks include this process's threads, and an id no process has
// counts none.
func TestTasksOf(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip(err)
	}
	n, ok := TasksOf(os.Getuid())
	if !ok || n < 2 { // the Go runtime runs more than one thread by now
		t.Fatalf("TasksOf(this user) = %d, %v; want this process's threads at least", n, ok)
	}
	if n, ok := TasksOf(4242421); !ok || n != 0 {
		t.Fatalf("TasksOf(an unused id) = %d, %v; want 0", n, ok)
	}
}

// TestHalted: a process runs until SIGSTOP takes every thread of it, and is halted then.
func TestHalted(t *testing.T) {
	cmd := exec.Command("sleep", "600")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	pid := cmd.Process.Pid
	if stopped, err := Halted(pid); stopped || err != nil {
		t.Fatalf("Halted(%d) of a sleeping process = %v, %v; want false, nil", pid, stopped, err)
	}
	if err := cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	end := time.Now().Add(time.Minute)
	for stopped, _ := Halted(pid); !stopped; stopped, _ = Halted(pid) {
		if time.Now().After(end) {
			t.Fatalf("Halted(%d) still false a minute after SIGSTOP", pid)
		}
		time.Sleep(time.Millisecond) // a polling step
	}
	if _, err := Halted(1 << 30); !errors.Is(err, ErrCannotTell) {
		t.Errorf("Halted of a pid no process has = %v, want ErrCannotTell", err)
	}
}
