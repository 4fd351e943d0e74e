package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/alecthomas/kong"

	"github.com/daemonkit/daemonkit/logfile"
)

// LogsCmd prints the last lines of an instance's log and, with -f, what is appended to
// it. Its -n is the number of lines, as tail's; the name has no short flag here.
type LogsCmd struct {
	Name    string    `placeholder:"NAME" help:"Instance name (default: \"${default_name}\" if the state directory has it, else its only instance)."`
	PIDFile string    `name:"pidfile" placeholder:"PATH" help:"Pidfile path (default <state-dir>/<name>.pid)."`
	Lines   lineCount `short:"n" default:"50" placeholder:"N" help:"How many of the last lines to print (default ${default})."`
	Follow  bool      `short:"f" help:"Then print what is appended, following the log by name across a reopen (logrotate), until interrupted (Ctrl-C or SIGTERM: exit 0)."`
}

// lineCount is logs' -n. Every other command's -n is --name: a name given to it is told
// so, where Kong would say only that it is not an int.
type lineCount int

// UnmarshalText reads a decimal count.
func (n *lineCount) UnmarshalText(b []byte) error {
	v, err := strconv.Atoi(string(b))
	switch {
	case errors.Is(err, strconv.ErrRange) && !strings.HasPrefix(string(b), "-"):
		v = math.MaxInt // more than any log has: all of it, as tail -n takes it
	case err != nil:
		return fmt.Errorf("%q is not a line count: logs' -n is the number of lines, as tail's; give the instance as --name", b)
	}
	*n = lineCount(v)
	return nil
}

// flags are the instance flags logs shares with every instance command.
func (c *LogsCmd) flags() *InstanceFlags {
	return &InstanceFlags{Name: c.Name, PIDFile: c.PIDFile}
}

// Validate refuses a bad name or line count at parse time.
func (c *LogsCmd) Validate() error {
	if c.Lines < 0 {
		return fmt.Errorf("-n %d: want 0 or more lines", c.Lines)
	}
	return c.flags().Validate()
}

// AfterApply refuses an empty --name or --pidfile, as every instance command does.
func (c *LogsCmd) AfterApply(kctx *kong.Context) error {
	return checkGivenNames(kctx, &c.Name, &c.PIDFile)
}

// Run prints the lines, and with -f follows the log until SIGINT or SIGTERM.
func (c *LogsCmd) Run(app *App) error {
	paths, err := c.flags().target(app)
	if err != nil {
		return err
	}
	path, err := logPath(paths)
	if err != nil {
		return withCode(exitFailed, err)
	}
	if logfile.Discards(path) {
		return withCode(exitFailed, fmt.Errorf("%s keeps no log: its log is %s", paths.Name, path))
	}
	if !c.Follow {
		err := logfile.Last(app.Stdout, path, int(c.Lines))
		if errors.Is(err, fs.ErrNotExist) {
			return withCode(exitFailed, fmt.Errorf("%s has no log at %s", paths.Name, path))
		}
		return err
	}
	ctx, stop := interruptible()
	defer stop()
	if app.Config.ownsProcess {
		go exitWhenStuck(ctx)
	}
	ctx, cancel := untilReaderGone(ctx, app.Stdout)
	defer cancel()
	return logfile.Follow(ctx, path, int(c.Lines), app.Stdout)
}

// stuckWait is how long logs -f, interrupted, may take to return before it exits anyway.
const stuckWait = 200 * time.Millisecond

// exitWhenStuck exits the process with 0 if, once interrupted (ctx done), logs -f has not
// returned within stuckWait: it is blocked writing to a reader that reads nothing (a
// paused terminal, a stalled pipe), and Ctrl-C must end it as it ends tail -f. Only where
// the process is the command's own (Main): nothing else runs in it that exiting would cut
// short.
func exitWhenStuck(ctx context.Context) {
	<-ctx.Done()          // interruptible's context ends by a signal only
	time.Sleep(stuckWait) // a grace, not a wait on luck: Follow returns long before, unless stuck
	os.Exit(exitOK)
}
