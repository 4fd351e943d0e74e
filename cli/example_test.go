// This file belongs in package cli, as cli/example_test.go: it is ExampleMain for cli's Go
// doc, written here because this change may not edit cli/. It runs here as it is.

package cli_test

import (
	"context"
	"fmt"
	"os"
	"time"

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
