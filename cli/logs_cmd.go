package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/alecthomas/kong"
	"github.com/hashicorp/go-hclog"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/logfile"
)

// LogsCmd prints the last lines of an instance's log and, with -f, what is appended to
// it. Its -n is the number of lines, as tail's, +N from line N on; the name has no short
// flag here.
type LogsCmd struct {
	Instance string    `arg:"" optional:"" name:"name" placeholder:"NAME" help:"The instance, as --name NAME gives it."`
	Name     string    `placeholder:"NAME" help:"Instance name (default: \"${default_name}\" if the state directory has it, else its only instance)."`
	PIDFile  string    `name:"pidfile" placeholder:"PATH" help:"Pidfile path (default <state-dir>/<name>.pid)."`
	Lines    lineCount `short:"n" default:"50" placeholder:"N" help:"How many of the last lines to print (default ${default}); +N prints from line N on, as tail's."`
	Follow   bool      `short:"f" help:"Then print what is appended, following the log by name across a reopen (logrotate), until interrupted (Ctrl-C or SIGTERM: exit 0)."`

	given []string // -f and -n N as the command line gave them (AfterApply), for advice to repeat
}

// lineCount is logs' -n: N, the last N lines, or +N, from line N on, as tail's. Every other
// command's -n is --name: a word given to it that could be an instance's name is kept in
// named, which LogsCmd.AfterApply refuses with the command line that gives it as the
// instance, where Kong would say only that it is not an int.
type lineCount struct {
	logfile.Lines
	named string
	text  string // the count as given (+N, N), which advice repeats
}

// UnmarshalText reads a decimal count, or + and one; it keeps a word that could be an
// instance's name (not one that starts as a count does: a digit, '+' or '-') in named.
func (n *lineCount) UnmarshalText(b []byte) error {
	if w := string(b); w != "" && !strings.ContainsAny(w[:1], "0123456789+-") && instance.ValidateName(w) == nil {
		*n = lineCount{named: w}
		return nil
	}
	s, from := strings.CutPrefix(string(b), "+")
	v, err := strconv.Atoi(s)
	switch {
	case from && (s == "" || s[0] == '+' || s[0] == '-'):
		err = strconv.ErrSyntax
	case errors.Is(err, strconv.ErrRange) && !strings.HasPrefix(s, "-"):
		// More lines than any log has: all of it, as tail -n takes it; from a line past
		// any log's last: nothing, as tail -n + takes it.
		v, err = math.MaxInt, nil
	}
	if err != nil {
		return fmt.Errorf("%q is not a line count: logs' -n is the number of lines, as tail's; give the instance as the argument, or as --name", b)
	}
	*n = lineCount{Lines: logfile.Lines{N: v, FromLine: from}, text: string(b)}
	return nil
}

// flags are the instance flags logs shares with every instance command.
func (c *LogsCmd) flags() *InstanceFlags {
	return &InstanceFlags{Name: c.Name, PIDFile: c.PIDFile}
}

// Validate refuses a bad name or line count at parse time.
func (c *LogsCmd) Validate(kctx *kong.Context) error {
	if err := takeNameArg(kctx, &c.Instance, &c.Name); err != nil {
		return err
	}
	if c.Lines.N < 0 {
		return fmt.Errorf("-n %d: want 0 or more lines (the last N), or +N (from line N on)", c.Lines.N)
	}
	return c.flags().Validate()
}

// AfterApply refuses an empty --name or --pidfile, as every instance command does, and a
// name given to -n (lineCount.named), with the line that gives it as the instance. It
// keeps the -f and -n the command line gave, in the order given (givenFlags).
func (c *LogsCmd) AfterApply(kctx *kong.Context, app *App) error {
	if err := checkGivenNames(kctx, &c.Name, &c.PIDFile); err != nil {
		return err
	}
	c.given = c.givenFlags(kctx)
	return c.Lines.asName(app, c.Instance == "" && c.Name == "" && c.PIDFile == "", c.Follow)
}

// givenFlags are -f and -n N, each as the command line kctx parsed gave it (--follow as
// -f, and --lines=N, -nN as -n N, with N as typed), in the order it gave them first, for
// an advised line that reaches the instance elsewhere to do what was asked here.
func (c *LogsCmd) givenFlags(kctx *kong.Context) []string {
	var given []string
	seen := map[string]bool{}
	for _, el := range kctx.Path {
		switch {
		case el.Flag == nil:
		case isField(el.Flag.Target, &c.Follow) && !seen["-f"]:
			seen["-f"] = true
			if c.Follow {
				given = append(given, "-f")
			}
		case isField(el.Flag.Target, &c.Lines) && !seen["-n"]:
			seen["-n"] = true
			given = append(given, "-n", c.Lines.text)
		}
	}
	return given
}

// asName is nil unless -n was given a word that could be an instance's name (named). Then
// it is an error that says -n is the number of lines and, if no instance is given
// otherwise (free), the command line that gives the word as one: "PROG logs [-f] NAME".
func (n lineCount) asName(app *App, free, follow bool) error {
	if n.named == "" {
		return nil
	}
	if !free {
		return fmt.Errorf("%q is not a line count: logs' -n is the number of lines, as tail's", n.named)
	}
	args, _, _ := app.commandStart("logs")
	if follow {
		args = append(args, "-f")
	}
	return fmt.Errorf("%q is not a line count: logs' -n is the number of lines, as tail's; for the instance %s: '%s'",
		n.named, n.named, adviceJoin(append(args, n.named)))
}

// Run prints the lines, and with -f follows the log until SIGINT or SIGTERM.
func (c *LogsCmd) Run(app *App) error {
	paths, err := c.flags().target(app, "logs")
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
		err := logfile.Print(app.Stdout, path, c.Lines.Lines)
		if errors.Is(err, fs.ErrNotExist) {
			return withCode(exitFailed, fmt.Errorf("%s has no log at %s%s", paths.Name, path, whyMissing(app, paths, path, c.given)))
		}
		if err == nil {
			warnReplaced(app, paths, path)
			noteRunsElsewhere(app, paths, path, c.given)
		}
		return notRegular(app, paths, path, err)
	}
	warnReplaced(app, paths, path)
	noteRunsElsewhere(app, paths, path, c.given)
	ctx, stop := interruptible()
	defer stop()
	if app.Config.ownsProcess {
		go exitWhenStuck(ctx)
	}
	ctx, cancel := untilReaderGone(ctx, app.Stdout)
	defer cancel()
	notify := func(path string, e logfile.Event) {
		msg := e.Message(path)
		if e == logfile.Waiting {
			msg = fmt.Sprintf("no log at %s yet%s; waiting for it to appear", path, whyMissing(app, paths, path, c.given))
		}
		app.say(app.Config.Stderr, hclog.Info, "", msg)
	}
	if app.Config.ownsProcess {
		// One stream of reads and writes: one P serves it, without the runtime's wake-ups
		// of other threads at each event (docs/performance.md, "Long runs"). Only where
		// the process is this command's alone: a program that runs it with Run goes on.
		runtime.GOMAXPROCS(1)
	}
	err = logfile.FollowWith(ctx, path, app.Stdout, logfile.FollowOptions{Lines: c.Lines.Lines, Notify: notify})
	return notRegular(app, paths, path, err)
}

// whyMissing says, after "no log at PATH", why the instance at paths has none, when there
// is more to say than that it has none yet: ": " and logElsewhere, or else where an
// instance of the name runs all the same (elsewhereNote: as root, from a former default
// state directory, with its pidfile elsewhere), or else neverRan; "" when none has
// anything to say. given are logs' flags as given (LogsCmd.given), which the line that
// reaches the instance elsewhere repeats.
func whyMissing(app *App, paths instance.Paths, path string, given []string) string {
	if why := logElsewhere(app, paths, path); why != "" {
		return ": " + why
	}
	if note := elsewhereNote(app, paths, "logs", given...); note != "" {
		return ": " + note
	}
	if why := neverRan(paths); why != "" {
		return ": " + why
	}
	return ""
}

// noteRunsElsewhere says on stderr, when the instance at paths is not running, where one
// of its name runs all the same (noteElsewhere): the log printed, at path, is then an
// earlier run's here, not the one that instance writes. It says nothing where that
// instance writes path (writtenElsewhere): an instance started with its pidfile elsewhere
// and no --log writes the state directory's log, the very one printed, and a copied state
// directory's record names its original's log outside it. The line it advises repeats
// given, logs' flags as given (LogsCmd.given).
func noteRunsElsewhere(app *App, paths instance.Paths, path string, given []string) {
	if st, err := instance.Inspect(paths); err == nil && !st.Running() && !st.Starting && !writtenElsewhere(app, paths, path) {
		noteElsewhere(app, paths, "logs", given...)
	}
}

// writtenElsewhere reports whether path, the log of the instance at paths, is the file
// that an instance of its name that runs elsewhere writes: one with its pidfile elsewhere
// (runsElsewhere), or the daemon of the directory the one at paths is a copy of
// (copyOfRunning), whose log outside that directory the copy's record names as it is.
func writtenElsewhere(app *App, paths instance.Paths, path string) bool {
	here, err := os.Stat(path)
	if err != nil {
		return false
	}
	writes := func(log string) bool {
		fi, err := os.Stat(log)
		return log != "" && err == nil && os.SameFile(here, fi)
	}
	for _, e := range runsElsewhere(app, paths) {
		if writes(e.Paths.Log) {
			return true
		}
	}
	rec, err := instance.ReadRecord(paths.Record)
	if err != nil {
		return false
	}
	if _, _, ok := copyOfRunning(rec, paths.Record); ok {
		// the record of the daemon that runs there, which may be a later run than the copy's
		live, err := instance.ReadRecord(instance.Paths{Name: paths.Name, PIDFile: rec.PIDFile}.RecordBeside())
		return err == nil && writes(live.Log)
	}
	return false
}

// notRegular adds to err, if it says that path, the log's, is not a regular file (or is
// another user's), that the
// instance runs and writes elsewhere (logElsewhere), when it does. Other errors are
// returned as they are.
func notRegular(app *App, paths instance.Paths, path string, err error) error {
	if errors.Is(err, logfile.ErrNotRegular) || errors.Is(err, logfile.ErrNotOwner) {
		if why := logElsewhere(app, paths, path); why != "" {
			return fmt.Errorf("%w; %s", err, why)
		}
	}
	return err
}

// neverRan says that the instance at paths has no record: it has not run with this state
// directory (a mistyped name?), or it was deleted, which keeps its log, and one started
// with its own --log has none at the default path where logs looks; "" if it has one.
func neverRan(paths instance.Paths) string {
	if _, err := instance.ReadRecord(paths.Record); !errors.Is(err, fs.ErrNotExist) {
		return ""
	}
	return fmt.Sprintf("%s has no record: it has not run with this state directory (is the name right?), or it was deleted, which kept its log where its --log said", paths.Name)
}

// logElsewhere says that the instance at paths runs, and writes to a file that is no
// longer at path, its log's path (moved away by hand or by logrotate without a reopen, or
// deleted; or a reopen failed: its record says why, as status shows), and that a reopen
// puts it back; "" if it does not run, or its log is not path.
func logElsewhere(app *App, paths instance.Paths, path string) string {
	st, err := instance.Inspect(paths)
	if err != nil || !st.Running() || st.Record == nil || st.Record.Log != path {
		return ""
	}
	how := "deleted, or moved away without a reopen"
	if st.Record.LogProblem != "" {
		how = "it " + st.Record.LogProblem
	}
	return fmt.Sprintf("%s (pid %d) writes to a file that is no longer at that path (%s); '%s' puts it back",
		paths.Name, st.PID(), how, app.commandFor("reopen", paths))
}

// warnReplaced says on stderr, when the instance at paths runs and writes to a file other
// than the one at path, its log's path (logrotate's create put a new file there, and no
// reopen followed, or the reopen failed), that the lines logs prints are not the ones the
// daemon writes, and that a reopen puts its log back. It says nothing where it cannot tell
// (writesElsewhere) and no reopen failed, and nothing when no regular file is at path:
// the errors and notes of a missing log say it then (whyMissing, notRegular).
func warnReplaced(app *App, paths instance.Paths, path string) {
	if fi, err := os.Lstat(path); err != nil || !fi.Mode().IsRegular() {
		return
	}
	st, err := instance.Inspect(paths)
	if err != nil || !st.Running() || st.Record == nil || st.Record.Log != path {
		return
	}
	detached, known := writesElsewhere(st.PID(), st.Record.LogFD, path)
	if known && !detached || !known && st.Record.LogProblem == "" {
		return
	}
	how := "moved away without a reopen, and another file put there"
	if st.Record.LogProblem != "" {
		how = "it " + st.Record.LogProblem
	}
	app.say(app.Config.Stderr, hclog.Warn, "", fmt.Sprintf("%s: %s (pid %d) writes to a file that is no longer at that path (%s); '%s' puts it back",
		path, paths.Name, st.PID(), how, app.commandFor("reopen", paths)))
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
