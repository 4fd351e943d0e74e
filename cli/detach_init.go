package cli

import (
	"fmt"
	"os"
)

// detachAsInit refuses to detach a daemon from a process that is PID 1: the init of a PID
// namespace (a container's entrypoint, `unshare --pid --fork`). When PID 1 exits, the
// kernel kills every other process of its namespace, so the daemon start -d has just
// reported ready would die with it the moment start returns, and the pidfile would be left
// stale. In the foreground, PID 1 is what daemonkit is made to be (it reaps and passes
// signals on). name is the instance's, how is how the command is typed ("start -d"), and
// instead what to run instead of it.
func detachAsInit(name, how, instead string) error {
	if os.Getpid() != 1 {
		return nil
	}
	return withCode(exitFailed, fmt.Errorf("%s %s: this process is PID 1 (a container's entrypoint, or unshare --pid --fork), and when it exits the kernel kills every process of its PID namespace, the daemon too: %s, where daemonkit serves as PID 1: it reaps orphans, passes signals on and exits with the work's status", how, name, instead))
}
