package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/server"
	"github.com/daemonkit/daemonkit/strategy"
)

// StartCmd starts the built-in server: in the foreground, or with -d as a daemon that is
// ready when start returns.
type StartCmd struct {
	Detach bool `short:"d" help:"Run as a daemon: return only once it holds its pidfile and listens."`
	StartFlags
}

// StartFlags are everything that describes how an instance runs. start takes them from the
// user; the daemon gets them back on its command line, and restart from the record.
type StartFlags struct {
	InstanceFlags
	Strategy        string        `enum:"${strategies}" default:"${default_strategy}" env:"DAEMONKIT_STRATEGY" placeholder:"NAME" help:"How -d detaches: ${enum} (default ${default}; see 'daemonkit strategies'; ${env})."`
	Log             string        `placeholder:"PATH" help:"With -d, the daemon's log (default <state-dir>/<name>.log; as root /var/log/daemonkit/<name>.log)."`
	Workdir         string        `placeholder:"DIR" help:"The daemon's working directory (default / for reexec and setsid, the current one for nohup)."`
	Umask           umask         `default:"022" placeholder:"MODE" help:"The daemon's umask, in octal."`
	ReadyTimeout    time.Duration `default:"10s" placeholder:"DURATION" help:"With -d, how long to wait for the daemon to be ready before killing it."`
	Listen          string        `default:"127.0.0.1:0" placeholder:"ADDR" help:"The built-in server's HTTP address (port 0: any free port)."`
	Heartbeat       time.Duration `default:"1s" placeholder:"DURATION" help:"How often the built-in server logs a heartbeat line."`
	ShutdownTimeout time.Duration `default:"10s" placeholder:"DURATION" help:"On SIGTERM, how long requests in flight may take to finish."`
}

// Run starts the instance and prints one line saying where it runs.
func (c *StartCmd) Run(app *App) error {
	paths, err := c.paths(app, c.Log, true)
	if err != nil {
		return err
	}
	desc, err := strategy.Lookup(c.Strategy)
	if err != nil {
		return withCode(exitUsage, err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if !c.Detach {
		return c.foreground(ctx, app, paths)
	}
	spec, err := c.spec(app, paths)
	if err != nil {
		return err
	}
	res, err := strategy.Launch(ctx, desc.New(), spec, app.Log.Named("launch"))
	var running *strategy.AlreadyRunningError
	switch {
	case errors.As(err, &running):
		return withCode(exitAlreadyUp, fmt.Errorf("%s is already running (pid %d)", paths.Name, running.PID))
	case err != nil:
		return withCode(exitFailed, fmt.Errorf("start %s: %w", paths.Name, err))
	}
	fmt.Fprintf(app.Stdout, "started %s (pid %d, strategy %s, listening on %s, log %s)\n",
		paths.Name, res.PID, c.Strategy, res.Listen, paths.Log)
	return nil
}

// foreground runs the server in this process, logging to stderr, until Ctrl-C or SIGTERM.
func (c *StartCmd) foreground(ctx context.Context, app *App, paths instance.Paths) error {
	if c.Workdir != "" {
		if err := os.Chdir(c.Workdir); err != nil {
			return fmt.Errorf("workdir: %w", err)
		}
	}
	opts := c.serverOptions(app, paths, "")
	err := server.Run(ctx, opts, nil, app.Log.Named("server"))
	if errors.Is(err, server.ErrAlreadyRunning) {
		return withCode(exitAlreadyUp, err)
	}
	return err
}

// spec turns the resolved flags into what the strategy detaches: this binary, run as the
// hidden daemon command with every option spelled out and every path absolute.
func (c *StartCmd) spec(app *App, paths instance.Paths) (strategy.Spec, error) {
	resolved := c.resolved(paths)
	if resolved.Workdir != "" {
		abs, err := filepath.Abs(resolved.Workdir)
		if err != nil {
			return strategy.Spec{}, fmt.Errorf("workdir: %w", err)
		}
		resolved.Workdir = abs
	}
	args := append([]string{"_daemon"}, resolved.args(app.Globals)...)
	return strategy.Spec{
		Name:         paths.Name,
		Args:         args,
		Dir:          resolved.Workdir,
		LogPath:      paths.Log,
		PIDFile:      paths.PIDFile,
		ReadyTimeout: c.ReadyTimeout,
	}, nil
}

// resolved is a copy of the flags with the instance's resolved name and paths filled in.
func (f StartFlags) resolved(paths instance.Paths) StartFlags {
	f.Name, f.PIDFile, f.Log = paths.Name, paths.PIDFile, paths.Log
	return f
}

// serverOptions is the daemon-side view of the flags; logPath is "" in the foreground.
func (f *StartFlags) serverOptions(app *App, paths instance.Paths, logPath string) server.Options {
	restart := f.resolved(paths)
	strategyName, ignoreHUP := "", false
	if logPath != "" {
		strategyName = f.Strategy
		if desc, err := strategy.Lookup(f.Strategy); err == nil {
			ignoreHUP = desc.Traits.IgnoresHUP
		}
	}
	return server.Options{
		Name:            paths.Name,
		Strategy:        strategyName,
		Listen:          f.Listen,
		Heartbeat:       f.Heartbeat,
		ShutdownTimeout: f.ShutdownTimeout,
		PIDFile:         paths.PIDFile,
		LogPath:         logPath,
		RecordPath:      paths.Record,
		IgnoreHUP:       ignoreHUP,
		Umask:           int(f.Umask),
		Record: instance.Record{
			Name:      paths.Name,
			Strategy:  strategyName,
			Log:       logPath,
			PIDFile:   paths.PIDFile,
			StartArgs: append([]string{"start", "-d"}, restart.args(app.Globals)...),
		},
	}
}

// args spells the flags out again, so that the daemon (and a later restart) runs with
// exactly these options. Paths must already be absolute.
func (f *StartFlags) args(g *Globals) []string {
	args := []string{
		"--log-level", g.LogLevel, "--log-format", g.LogFormat,
		"--name", f.Name, "--pidfile", f.PIDFile, "--log", f.Log,
		"--strategy", f.Strategy, "--umask", f.Umask.String(),
		"--ready-timeout", f.ReadyTimeout.String(), "--listen", f.Listen,
		"--heartbeat", f.Heartbeat.String(), "--shutdown-timeout", f.ShutdownTimeout.String(),
	}
	if f.Workdir != "" {
		args = append(args, "--workdir", f.Workdir)
	}
	return args
}
