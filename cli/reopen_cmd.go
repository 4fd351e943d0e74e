package cli

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/daemonkit/daemonkit/instance"
)

// ReopenCmd asks a daemon to reopen its log at its path, as logrotate needs once it has
// moved the file away: SIGUSR1, which every daemon of this program handles so, whatever
// its strategy and workload.
type ReopenCmd struct {
	InstanceFlags
}

// Run signals the lock holder and says which pid was asked; exit 1 when not running.
func (c *ReopenCmd) Run(app *App) error {
	paths, err := c.target(app)
	if err != nil {
		return err
	}
	pid, err := instance.Signal(paths, syscall.SIGUSR1)
	if errors.Is(err, instance.ErrNotRunning) {
		return withCode(exitFailed, fmt.Errorf("%s is not running", paths.Name))
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(app.Stdout, "asked %s (pid %d) to reopen its log %s (SIGUSR1)\n", paths.Name, pid, logPath(paths))
	return nil
}

// logPath is where the instance at paths logs: what its record says, else the default.
func logPath(paths instance.Paths) string {
	if rec, err := instance.ReadRecord(paths.Record); err == nil && rec.Log != "" {
		return rec.Log
	}
	return paths.Log
}
