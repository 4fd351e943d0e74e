//go:build linux

package scripttest

import (
	"context"
	"os/exec"
	"regexp"
	"strconv"
	"sync"
	"time"
)

// gdbAttaches reports, trying once per process, whether gdb is here and may attach to a
// process it did not start, as the scripts that hold a program with it do: where it may
// not (a user's, under Yama's ptrace_scope=1; a container without CAP_SYS_PTRACE), gdb
// says "ptrace: Operation not permitted." and runs its commands all the same, so such a
// script would wait for a tracing stop that never comes.
var gdbAttaches = sync.OnceValue(func() bool {
	gdb, err := exec.LookPath("gdb")
	if err != nil {
		return false
	}
	target := exec.Command("sleep", "30")
	if target.Start() != nil {
		return false
	}
	defer func() {
		_ = target.Process.Kill()
		_ = target.Wait()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second) // a bound on a stuck gdb
	defer cancel()
	pid := strconv.Itoa(target.Process.Pid)
	out, _ := exec.CommandContext(ctx, gdb, "-q", "-nx", "-batch", "-p", pid, "-ex", "shell grep TracerPid /proc/"+pid+"/status").Output()
	return regexp.MustCompile(`(?m)^TracerPid:\s+[1-9]`).Match(out)
})
