package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/daemonkit/daemonkit/instance"
)

// StopCmd stops a daemon: it signals the pidfile's lock holder, never the file's content
// alone, and returns the moment the process is gone.
type StopCmd struct {
	InstanceFlags
	Signal  signalName    `default:"TERM" placeholder:"SIG" help:"The signal that asks it to stop: TERM, INT, QUIT, HUP, USR1, USR2 or KILL (with or without SIG)."`
	Timeout time.Duration `default:"10s" placeholder:"DURATION" help:"How long to wait for it to stop before SIGKILL."`
	NoKill  bool          `help:"Never SIGKILL: if it is still running after --timeout, say so and exit 1."`
}

// Run stops the instance and says how it went.
func (c *StopCmd) Run(app *App) error {
	paths, err := c.paths(app, "", false)
	if err != nil {
		return err
	}
	res, err := instance.Stop(context.Background(), paths, instance.StopOptions{
		Signal: syscall.Signal(c.Signal), Timeout: c.Timeout, NoKill: c.NoKill,
	})
	if err != nil {
		if errors.Is(err, os.ErrPermission) {
			return fmt.Errorf("could not stop %s: not permitted: %w", paths.Name, err)
		}
		return fmt.Errorf("could not stop %s: %w", paths.Name, err)
	}
	switch {
	case !res.WasRunning && res.RemovedStale:
		fmt.Fprintf(app.Stdout, "%s was not running (removed stale pidfile %s)\n", paths.Name, paths.PIDFile)
	case !res.WasRunning:
		fmt.Fprintf(app.Stdout, "%s was not running\n", paths.Name)
	case res.Killed:
		fmt.Fprintf(app.Stdout, "stopped %s (pid %d) in %s: SIGKILL was needed after %s\n",
			paths.Name, res.PID, roundDuration(res.Elapsed), c.Timeout)
	default:
		fmt.Fprintf(app.Stdout, "stopped %s (pid %d) in %s\n", paths.Name, res.PID, roundDuration(res.Elapsed))
	}
	return nil
}

// roundDuration keeps a duration readable: 12ms, 1.52s.
func roundDuration(d time.Duration) time.Duration {
	switch {
	case d < time.Millisecond:
		return d.Round(time.Microsecond)
	case d < time.Second:
		return d.Round(time.Millisecond)
	default:
		return d.Round(10 * time.Millisecond)
	}
}
