// Command ticker is the original article's server, which prints a line every second until
// it is stopped, made a proper daemon with daemonkit's command layer:
//
//	ticker start -d --strategy=setsid   # returns once it runs; its lines go to its log
//	ticker status                       # LSB exit codes; --json
//	ticker stop                         # returns the moment it is gone
//	ticker restart, ticker reload, ticker strategies
//
// Against the article's 13 lines, the four marked "daemonkit:" are what daemonkit needs;
// seven more (the context import, a select in place of time.Sleep, and func serve where
// func main was) make the loop stop when asked. docs/embedding.md walks through
// the file line by line.
package main

import (
	"context"
	"fmt"
	"time"

	"github.com/daemonkit/daemonkit/cli"            // daemonkit: the commands
	_ "github.com/daemonkit/daemonkit/strategy/all" // daemonkit: every way to detach
)

func main() { cli.Main(cli.Config{Name: "ticker", Serve: serve}) } // daemonkit: start, stop, ...

// serve was the article's main. It has nothing to set up, so it says ready at once; ctx is
// cancelled by stop (SIGTERM) or Ctrl-C, and then it returns.
func serve(ctx context.Context, ready func(addr string)) error {
	ready("") // daemonkit: start -d returns 0 now
	for n := 1; ; n++ {
		fmt.Println("tick", n, time.Now().Format(time.RFC3339)) // to the log under start -d
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Second):
		}
	}
}
