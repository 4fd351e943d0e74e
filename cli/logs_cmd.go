package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"strconv"
	"strings"

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
	path := logPath(paths)
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
	ctx, cancel := untilReaderGone(ctx, app.Stdout)
	defer cancel()
	return logfile.Follow(ctx, path, int(c.Lines), app.Stdout)
}
