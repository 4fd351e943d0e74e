// Command daemonkit starts a program as a proper Unix daemon and stops it again, safely.
// It is one user of package cli, the command layer any Go program can embed; its own work
// is the built-in HTTP server (package httpdemo).
package main

import (
	"context"
	"fmt"
	"time"

	"github.com/daemonkit/daemonkit/cli"
	"github.com/daemonkit/daemonkit/httpdemo"

	// Every strategy daemonkit ships.
	_ "github.com/daemonkit/daemonkit/strategy/all"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// serverFlags are the built-in server's own flags.
type serverFlags struct {
	Listen    string        `default:"127.0.0.1:0" notempty:"address" placeholder:"ADDR" help:"The built-in server's HTTP address (port 0: any free port; default ${default})."`
	Heartbeat time.Duration `default:"1s" placeholder:"DURATION" help:"How often the built-in server logs a heartbeat line (default ${default})."`
}

// Validate refuses, as a usage error, a heartbeat so short that the built-in server's log
// would fill at once (--heartbeat 1ns wrote tens of thousands of lines a second).
func (f *serverFlags) Validate() error {
	if f.Heartbeat < httpdemo.MinHeartbeat {
		return fmt.Errorf("--heartbeat %v: want at least %v, or leave it out for a line a second", f.Heartbeat, httpdemo.MinHeartbeat)
	}
	return nil
}

func main() { cli.Main(config()) }

// config is daemonkit as a program of package cli: its name, its own flags, and the
// built-in server as its work.
func config() cli.Config {
	var flags serverFlags
	return cli.Config{
		Name:        "daemonkit",
		Description: "Start a program as a proper Unix daemon, and stop it again, safely.",
		Version:     version,
		DefaultName: "server",
		Flags:       &flags,
		Serve: func(ctx context.Context, ready func(addr string)) error {
			in := cli.Instance(ctx)
			return httpdemo.Config{
				Name:            in.Name,
				Strategy:        in.Strategy,
				Listen:          flags.Listen,
				Heartbeat:       flags.Heartbeat,
				ShutdownTimeout: in.ShutdownTimeout,
			}.Serve(ctx, ready)
		},
	}
}
