package cli

import (
	"context"
	"os/exec"
	"syscall"

	"github.com/daemonkit/daemonkit/internal/proc"
)

// killGroupOf SIGKILLs the process group pgid; a test may replace it, to see when.
var killGroupOf = func(pgid int) { _ = syscall.Kill(-pgid, syscall.SIGKILL) }

// runGroupLeader starts cmd, which leads a process group of its own (its SysProcAttr sets
// Setpgid or Setsid), and waits for its end, killing its group if ctx ends first; then
// kills what it left in its group, and reaps it. Where proc.AwaitEnd can wait for the end
// without reaping (Linux), every kill of the group is made while the leader is not reaped,
// while its pid is still the group's number: once it is reaped, that number is free, and a
// process given it since that leads a group of its own would be killed in its place (as
// os/exec's Wait and then kill(-pid) could). Elsewhere the leader is reaped first.
func runGroupLeader(ctx context.Context, cmd *exec.Cmd) error {
	if err := cmd.Start(); err != nil {
		return err
	}
	pid := cmd.Process.Pid
	ended := make(chan struct{})
	var waitErr error
	reaped := false
	go func() {
		defer close(ended)
		if proc.AwaitEnd(pid) != nil { // no such wait here: reap it to learn of its end
			waitErr, reaped = cmd.Wait(), true
		}
	}()
	select {
	case <-ended:
	case <-ctx.Done():
		killGroupOf(pid)
		<-ended
	}
	killGroupOf(pid) // what it left in its group
	if reaped {
		return waitErr
	}
	return cmd.Wait()
}
