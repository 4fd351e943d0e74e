package main

import (
	"context"
	"errors"

	"github.com/daemonkit/daemonkit/server"
	"github.com/daemonkit/daemonkit/strategy"
	"github.com/daemonkit/daemonkit/strategy/reexec"
)

// DaemonCmd is what start -d runs once detached: the server, with descriptor 3 the
// handshake pipe back to start. Its flags are start's, spelled out with absolute paths.
type DaemonCmd struct {
	StartFlags
}

// Run serves until stopped. Every error is also reported up the handshake by the server.
func (c *DaemonCmd) Run(app *App) error {
	rep, err := strategy.OpenReporter(strategy.ReadyFD)
	if err != nil {
		return withCode(exitUsage, err)
	}
	defer rep.Close()
	paths, err := c.paths(app, c.Log, false)
	if err != nil {
		_ = rep.Fail(err)
		return err
	}
	opts := c.serverOptions(app, paths, paths.Log)
	err = server.Run(context.Background(), opts, rep, app.Log.Named("server"))
	if errors.Is(err, server.ErrAlreadyRunning) {
		return withCode(exitAlreadyUp, nil) // start prints it; the log stays untouched
	}
	return err
}

// ReexecCmd is the re-exec strategy's intermediate: it starts the daemon and exits.
type ReexecCmd struct {
	Args []string `arg:"" passthrough:"all" help:"The daemon's arguments."`
}

// Run hands over to the reexec package; its exit code is the process's.
func (c *ReexecCmd) Run(app *App) error {
	if code := reexec.Continue(c.Args); code != 0 {
		return withCode(code, nil) // it reported why down the handshake
	}
	return nil
}
