// The examples of cli's Go doc, which go test runs and checks: ExampleMain, the article's
// ticker made a daemon, and ExampleWithInstance, a test of a serve function's drain.

package cli_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/daemonkit/daemonkit/activation"
	"github.com/daemonkit/daemonkit/cli"
	_ "github.com/daemonkit/daemonkit/strategy/all"
)

// The original article's server, which prints a line every second, made a daemon: its main
// is one call to Main with the loop it already had as the serve function, which now says
// ready and returns when ctx is cancelled. Then, from a shell:
//
//	ticker start -d --strategy=setsid   # returns once it is ready; the ticks go to its log
//	ticker status                       # LSB exit codes: 0 running, 3 not running
//	ticker stop                         # returns the moment it is gone
//
// The blank import brings every strategy daemonkit ships. Main is Run on
// os.Args[1:] followed by os.Exit; the example calls Run instead, so that it can run: the
// status of a ticker that was never started, in a fresh state directory.
func ExampleMain() {
	serve := func(ctx context.Context, ready func(addr string)) error {
		ready("") // start -d returns now
		for n := 1; ; n++ {
			fmt.Println("tick", n, time.Now().Format(time.RFC3339))
			select {
			case <-ctx.Done(): // stop, or Ctrl-C in the foreground
				return nil
			case <-time.After(time.Second):
			}
		}
	}
	cfg := cli.Config{Name: "ticker", Serve: serve}
	// The program's whole main: func main() { cli.Main(cfg) }

	state, err := os.MkdirTemp("", "ticker-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(state)
	code := cli.Run(cfg, []string{"--state-dir", state, "status"})
	fmt.Println("exit", code)
	// Output:
	// ticker is not running
	// exit 3
}

// serveHTTP is a program's serve function, as a real one is written: it serves handler
// until ctx is cancelled, then lets the requests in flight finish within the instance's
// shutdown timeout (start's --shutdown-timeout).
func serveHTTP(handler http.Handler) cli.ServeFunc {
	return func(ctx context.Context, ready func(addr string)) error {
		ln, err := activation.Listen("tcp", "127.0.0.1:0") // start --socket's socket, if handed one
		if err != nil {
			return err
		}
		srv := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		ready(ln.Addr().String())
		<-ctx.Done()
		drain, cancel := context.WithTimeout(context.Background(), cli.Instance(ctx).ShutdownTimeout)
		defer cancel()
		return srv.Shutdown(drain)
	}
}

// A test of a serve function's drain path calls the function itself, with a context from
// WithInstance: Instance(ctx) then tells the shutdown timeout a real start gives it. (With
// context.Background alone it would be 0: the drain's deadline would be past, and the
// request in flight not waited for.) Cancelling the context is the stop.
func ExampleWithInstance() {
	inFlight, finish := make(chan struct{}), make(chan struct{})
	serve := serveHTTP(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		close(inFlight)
		<-finish // the work in flight when the stop comes
		fmt.Fprint(w, "finished")
	}))

	ctx, stop := context.WithCancel(cli.WithInstance(context.Background(),
		cli.InstanceInfo{Name: "test", ShutdownTimeout: 10 * time.Second}))
	defer stop()
	addrs, served := make(chan string, 1), make(chan error, 1)
	go func() { served <- serve(ctx, func(addr string) { addrs <- addr }) }()
	addr := <-addrs

	answered := make(chan string, 1)
	go func() {
		resp, err := http.Get("http://" + addr + "/")
		if err != nil {
			answered <- err.Error()
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		answered <- string(body)
	}()
	<-inFlight
	stop() // as stop, or Ctrl-C, would: the drain begins
	close(finish)
	fmt.Println("the request in flight:", <-answered)
	fmt.Println("serve returned:", <-served)
	// Output:
	// the request in flight: finished
	// serve returned: <nil>
}
