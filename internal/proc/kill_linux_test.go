package proc

import (
	"os/exec"
	"syscall"
	"testing"
)

// groupEmpty tells a group with a member from one without: KillGroup walks /proc only
// for the first.
func TestGroupEmpty(t *testing.T) {
	cmd := exec.Command("sleep", "1000")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	if groupEmpty(pid) {
		t.Errorf("groupEmpty(%d) with its leader alive: true", pid)
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait() // reaped: the group has no member left
	if !groupEmpty(pid) {
		t.Errorf("groupEmpty(%d) with its only member reaped: false", pid)
	}
}
