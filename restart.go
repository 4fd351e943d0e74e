package main

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"
	"time"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/strategy"
)

// RestartCmd stops an instance and starts it again with the options recorded when it was
// started (<name>.json beside its pidfile).
type RestartCmd struct {
	InstanceFlags
	Timeout time.Duration `default:"10s" placeholder:"DURATION" help:"How long to wait for it to stop before SIGKILL."`
}

// Run reads the record first, so that nothing is stopped that could not be started again.
func (c *RestartCmd) Run(app *App) error {
	paths, err := c.paths(app, "", false)
	if err != nil {
		return err
	}
	rec, err := instance.ReadRecord(paths.Record)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("no record of how %s was started (%s): start it with 'daemonkit start -d'", paths.Name, paths.Record)
	}
	if err != nil {
		return fmt.Errorf("restart %s: %w", paths.Name, err)
	}
	stop := &StopCmd{InstanceFlags: c.InstanceFlags, Signal: signalName(syscall.SIGTERM), Timeout: c.Timeout}
	if err := stop.Run(app); err != nil {
		return err
	}
	recorded, err := parseStart(rec.StartArgs)
	if err != nil {
		return fmt.Errorf("restart %s: recorded options %q: %w", paths.Name, rec.StartArgs, err)
	}
	// The recorded global flags (log level and format) are the daemon's options too.
	again := *app
	again.Globals = &recorded.Globals
	return recorded.Start.Run(&again)
}

// ReloadCmd asks a daemon to reopen its log, with the signal its strategy leaves it: SIGHUP,
// or SIGUSR1 where SIGHUP is ignored (nohup).
type ReloadCmd struct {
	InstanceFlags
}

// Run signals the lock holder and says which signal went to which pid.
func (c *ReloadCmd) Run(app *App) error {
	paths, err := c.paths(app, "", false)
	if err != nil {
		return err
	}
	sig := syscall.SIGHUP
	if rec, err := instance.ReadRecord(paths.Record); err == nil && ignoresHUP(rec.Strategy) {
		sig = syscall.SIGUSR1
	}
	pid, err := instance.Signal(paths, sig)
	if errors.Is(err, instance.ErrNotRunning) {
		return withCode(exitFailed, fmt.Errorf("%s is not running", paths.Name))
	}
	if err != nil {
		return fmt.Errorf("reload %s: %w", paths.Name, err)
	}
	fmt.Fprintf(app.Stdout, "reloaded %s (pid %d, %s)\n", paths.Name, pid, signalLabel(sig))
	return nil
}

func signalLabel(sig syscall.Signal) string {
	for name, s := range signalsByName {
		if s == sig {
			return "SIG" + name
		}
	}
	return sig.String()
}

// parseStart reads recorded start arguments back, through the same grammar the user's own
// command line goes through.
func parseStart(args []string) (*CLI, error) {
	var cli CLI
	parser, err := newParser(&cli, nil, nil, nil)
	if err != nil {
		return nil, err
	}
	if _, err := parser.Parse(args); err != nil {
		return nil, err
	}
	if !cli.Start.Detach {
		return nil, fmt.Errorf("not a start -d command line")
	}
	return &cli, nil
}

// ignoresHUP says whether the named strategy leaves its daemon ignoring SIGHUP.
func ignoresHUP(name string) bool {
	desc, err := strategy.Lookup(name)
	return err == nil && desc.Traits.IgnoresHUP
}
