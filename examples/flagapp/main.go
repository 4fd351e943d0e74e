// Command flagapp is a program that parses its own flags with the standard flag package
// and hands the rest of its command line to daemonkit's commands. Its work is a small HTTP
// server that answers GET / with the greeting:
//
//	flagapp -greeting hello start -d --strategy setsid
//	flagapp stop
//
// Its own flags come before the command; the daemon that start -d detaches parses the
// same command line again, so it sees the same -greeting.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/daemonkit/daemonkit/activation"
	"github.com/daemonkit/daemonkit/cli"
	_ "github.com/daemonkit/daemonkit/strategy/nohup"
	_ "github.com/daemonkit/daemonkit/strategy/reexec"
	_ "github.com/daemonkit/daemonkit/strategy/setsid"
)

func main() {
	cli.Init() // first: the daemon start -d detached gets start's arguments back here
	greeting := flag.String("greeting", "hello", "what GET / answers")
	listen := flag.String("listen", "127.0.0.1:0", "the HTTP address (port 0: any free port)")
	flag.Parse()
	os.Exit(cli.Run(cli.Config{Name: "flagapp", Serve: greeter(*greeting, *listen)}, flag.Args()))
}

// greeter is the serve function: it answers GET / with greeting on listen until ctx is
// cancelled, then drains.
func greeter(greeting, listen string) cli.ServeFunc {
	return func(ctx context.Context, ready func(addr string)) error {
		ln, err := activation.Listen("tcp", listen) // start --socket's socket, if it was given one
		if err != nil {
			return err
		}
		mux := http.NewServeMux()
		mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, greeting) })
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		served := make(chan error, 1)
		go func() { served <- srv.Serve(ln) }()
		ready(ln.Addr().String())

		select {
		case err := <-served:
			return err
		case <-ctx.Done():
		}
		drain, cancel := context.WithTimeout(context.Background(), cli.Instance(ctx).ShutdownTimeout)
		defer cancel()
		return srv.Shutdown(drain)
	}
}
