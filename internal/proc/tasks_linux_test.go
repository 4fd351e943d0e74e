package proc

import (
	"os"
	"testing"
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
