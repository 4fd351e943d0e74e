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
	All bool `help:"Ask every running instance of the state directory (one logrotate stanza for <log-dir>/*.log); those not running are skipped."`
}

// Validate refuses what cannot be meant.
func (c *ReopenCmd) Validate() error {
	if c.All && (c.Name != "" || c.PIDFile != "") {
		return fmt.Errorf("--all with --name or --pidfile: give one or the other")
	}
	return nil
}

// Run signals the lock holder and says which pid was asked; exit 1 when not running. With
// --all, every running instance, and an instance not running is no failure: its log is
// not open.
func (c *ReopenCmd) Run(app *App) error {
	if c.All {
		return forEachInstance(app, "reopen", func(app *App, paths instance.Paths) error {
			err := reopen(app, paths)
			if errors.Is(err, instance.ErrNotRunning) {
				fmt.Fprintf(app.Stdout, "%s is not running: no log open to reopen\n", paths.Name)
				return nil
			}
			return err
		})
	}
	paths, err := c.target(app)
	if err != nil {
		return err
	}
	err = reopen(app, paths)
	if errors.Is(err, instance.ErrNotRunning) {
		return withCode(exitFailed, fmt.Errorf("%s is not running", paths.Name))
	}
	return err
}

// reopen asks the instance at paths to reopen its log, and says so.
func reopen(app *App, paths instance.Paths) error {
	pid, err := instance.Signal(paths, syscall.SIGUSR1)
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
