// Command kongapp is a program with its own Kong grammar that embeds daemonkit's commands:
// its own flags at the root (--greeting is required), its own command (greet), and
// start, stop, status, restart, reload and strategies beside it. Its work is a small HTTP
// server that answers GET / with the greeting:
//
//	kongapp --greeting hello start -d --strategy setsid
//	kongapp --greeting hello greet
//	kongapp --greeting hello stop
//
// A root flag that Kong requires is required by every command, stop included: that is
// Kong's rule, not daemonkit's. The daemon that start -d detaches parses the very command
// line start was given, so it sees the same --greeting.
package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/alecthomas/kong"
	"github.com/hashicorp/go-hclog"

	"github.com/daemonkit/daemonkit/activation"
	"github.com/daemonkit/daemonkit/cli"
	_ "github.com/daemonkit/daemonkit/strategy/nohup"
	_ "github.com/daemonkit/daemonkit/strategy/reexec"
	_ "github.com/daemonkit/daemonkit/strategy/setsid"
)

// grammar is the whole command line: the program's own flags and command, and daemonkit's
// commands (with their global flags) embedded beside them.
type grammar struct {
	Greeting string `required:"" short:"g" help:"What GET / answers."`
	Listen   string `default:"127.0.0.1:0" placeholder:"ADDR" help:"The HTTP address (port 0: any free port; default ${default})."`
	// These two exist for the end-to-end tests: a serve function that fails before ready.
	FailStart  bool `hidden:"" help:"Make serve return an error at once."`
	PanicStart bool `hidden:"" help:"Make serve panic at once."`

	cli.Commands
	Greet greetCmd `cmd:"" help:"Print the greeting and exit."`
}

// greetCmd is the program's own command.
type greetCmd struct{}

func (greetCmd) Run(g *grammar) error {
	fmt.Println(g.Greeting)
	return nil
}

func main() {
	cli.Init() // first: the daemon start -d detached gets start's arguments back here

	var g grammar
	cfg := cli.Config{Name: "kongapp", Description: "Say hello over HTTP, as a daemon.", Serve: g.serve}
	parser := kong.Must(&g, append(cfg.KongOptions(&g.Commands),
		kong.Name(cfg.Name), kong.Description(cfg.Description), kong.UsageOnError(), kong.Bind(&g))...)
	kctx, err := parser.Parse(os.Args[1:])
	if err != nil {
		os.Exit(cfg.Exit(err)) // a usage error: exit 2, as daemonkit's own commands do
	}
	os.Exit(cfg.Exit(kctx.Run()))
}

// serve answers GET / with the greeting on --listen until ctx is cancelled (stop, or
// Ctrl-C in the foreground), then drains. Its log lines go to the daemon's log.
func (g *grammar) serve(ctx context.Context, ready func(addr string)) error {
	switch {
	case g.FailStart:
		return errors.New("refusing to start: --fail-start") // start -d exits 1 quoting it
	case g.PanicStart:
		panic("refusing to start: --panic-start") // the same, with the stack in the log
	}
	ln, err := activation.Listen("tcp", g.Listen) // a socket handed over by start --socket, if any
	if err != nil {
		return err // "listen tcp ADDR: bind: address already in use"
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, g.Greeting) })
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	log := hclog.FromContext(ctx) // the daemon's logger: its log file, or stderr in the foreground
	log.Info("serving", "addr", ln.Addr().String(), "instance", cli.Instance(ctx).Name)
	ready(ln.Addr().String()) // start -d returns 0 now, and prints the address

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	drain, cancel := context.WithTimeout(context.Background(), cli.Instance(ctx).ShutdownTimeout)
	defer cancel()
	return srv.Shutdown(drain)
}
