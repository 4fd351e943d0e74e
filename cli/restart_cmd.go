package cli

import (
	"encoding/json"
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
	Timeout time.Duration `default:"10s" placeholder:"DURATION" help:"How long to wait for it to stop before SIGKILL (default ${default})."`
}

// Run reads the record first, so that nothing is stopped that could not be started again.
func (c *RestartCmd) Run(app *App) error {
	paths, err := c.paths(app, "", false)
	if err != nil {
		return err
	}
	req, desc, err := recordedRequest(app, paths)
	if err != nil {
		return err
	}
	if err := stopInstance(app, paths, instance.StopOptions{Signal: syscall.SIGTERM, Timeout: c.Timeout}); err != nil {
		return err
	}
	ctx, stop := interruptible()
	defer stop()
	res, err := launchRequest(ctx, req, desc, app.Log.Named("launch"))
	if err != nil {
		return err
	}
	fmt.Fprintf(app.Stdout, "started %s (pid %d, strategy %s%s, log %s)\n",
		req.Name, res.PID, req.Strategy, listenNote(res.Listen), req.Log)
	return nil
}

// recordedRequest reads how the instance at paths was started, and checks it is this
// program's and names a strategy this binary has.
func recordedRequest(app *App, paths instance.Paths) (*request, strategy.Descriptor, error) {
	rec, err := instance.ReadRecord(paths.Record)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, strategy.Descriptor{}, fmt.Errorf("no record of how %s was started (%s): start it with '%s start -d'", paths.Name, paths.Record, app.Config.Name)
	}
	if err != nil {
		return nil, strategy.Descriptor{}, err
	}
	if rec.Program != app.Config.Name || len(rec.Request) == 0 {
		return nil, strategy.Descriptor{}, fmt.Errorf("%s was started by %q, not by %s: restart it with that program", paths.Name, rec.Program, app.Config.Name)
	}
	var req request
	if err := json.Unmarshal(rec.Request, &req); err != nil {
		return nil, strategy.Descriptor{}, fmt.Errorf("record %s: %w", paths.Record, err)
	}
	desc, err := strategy.Lookup(req.Strategy)
	if err != nil {
		return nil, strategy.Descriptor{}, fmt.Errorf("record %s: %w", paths.Record, err)
	}
	return &req, desc, nil
}

// ReloadCmd asks a daemon to reopen its log and reload, with the signal its strategy
// leaves it: SIGHUP, or SIGUSR1 where SIGHUP is ignored (nohup).
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
		return err
	}
	fmt.Fprintf(app.Stdout, "reloaded %s (pid %d, %s)\n", paths.Name, pid, signalLabel(sig))
	return nil
}

// ignoresHUP says whether the named strategy leaves its daemon ignoring SIGHUP.
func ignoresHUP(name string) bool {
	desc, err := strategy.Lookup(name)
	return err == nil && desc.Traits.IgnoresHUP
}
