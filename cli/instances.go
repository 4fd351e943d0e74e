package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/alecthomas/kong"
	"github.com/hashicorp/go-hclog"

	"github.com/daemonkit/daemonkit/instance"
)

// AfterApply refuses, as usage errors, the names Validate cannot see: an empty --name or
// --pidfile given on the command line (which would otherwise quietly mean the default
// instance), and a --pidfile whose base name is no valid instance name when --name is
// not given.
func (f *InstanceFlags) AfterApply(kctx *kong.Context) error {
	return checkGivenNames(kctx, &f.Name, &f.PIDFile)
}

// checkGivenNames is AfterApply for the name and pidfile flags at name and pidFile.
func checkGivenNames(kctx *kong.Context, name, pidFile *string) error {
	for _, el := range kctx.Path {
		switch {
		case el.Flag == nil:
		case isField(el.Flag.Target, name) && *name == "":
			return instance.ValidateName("") // "invalid instance name: empty"
		case isField(el.Flag.Target, pidFile) && *pidFile == "":
			return errors.New("--pidfile: empty path")
		}
	}
	if *name == "" && *pidFile != "" {
		base := strings.TrimSuffix(filepath.Base(*pidFile), ".pid")
		if err := instance.ValidateName(base); err != nil {
			return fmt.Errorf("instance name from pidfile %q (give --name): %w", *pidFile, err)
		}
	}
	return nil
}

// isField says whether v, a flag's target, is the field at ptr.
func isField[T any](v reflect.Value, ptr *T) bool {
	return v.IsValid() && v.CanAddr() && v.Addr().Interface() == any(ptr)
}

// target resolves the instance a command acts on when it may go without a name (stop,
// status, restart, reload, reopen, logs): the one --name or --pidfile names; without
// either, the instance of the default name (the one 'start' starts without --name) if the
// state directory has it, else its only instance; with none there, the default name, so
// that "not running" answers stay what they were. Several instances, none of the default
// name, and no name is a usage error that lists them and says how to pick one for command
// (pickAdvice). Only this program's instances count:
// in a state directory shared with other programs, "its only instance" is never another
// program's, which only --name picks.
func (f *InstanceFlags) target(app *App, command string) (instance.Paths, error) {
	if f.Name != "" || f.PIDFile != "" {
		return f.paths(app, "", false)
	}
	names, layout, others, err := app.ownInstanceNames()
	if err != nil {
		return instance.Paths{}, err
	}
	switch {
	case len(names) == 0, slices.Contains(names, layout.DefaultName):
		return f.paths(app, "", false)
	case len(names) == 1:
		only := *f
		only.Name = names[0]
		return only.paths(app, "", false)
	}
	return instance.Paths{}, withCode(exitUsage, fmt.Errorf("several instances: %s: %s", nameList(names, 10), pickAdvice(app, command, names[0], others)))
}

// pickAdvice says how to pick one of several instances, name among them, for command: by
// its name, in the shortest form command takes it (the argument; upgrade, whose argument
// is the program, takes --name), and, for a command whose --all only asks (reload,
// reopen), with --all, unless the state directory also holds other programs' instances
// (others), which --all would ask too. Each form is a command line set off in single
// quotes, to paste.
func pickAdvice(app *App, command, name string, others bool) string {
	one := fmt.Sprintf("give the instance's name, as in '%s'", app.commandByName(command, name, command != "upgrade"))
	if (command != "reload" && command != "reopen") || others {
		return one
	}
	args, _, _ := app.commandStart(command)
	return fmt.Sprintf("%s, or --all for every one ('%s')", one, adviceJoin(append(args, "--all")))
}

// startedByOther says whether the record at path says another program than this one
// started its instance. An instance without a readable record (its first start under way,
// a damaged record) may be this program's.
func startedByOther(app *App, path string) bool {
	rec, err := instance.ReadRecord(path)
	return err == nil && rec.Program != "" && rec.Program != app.Config.Name
}

// ownInstanceNames lists the instances of the state directory that are this program's:
// all but those whose records say another program started them (the default name's is
// always listed); others says whether it left any out.
func (app *App) ownInstanceNames() (names []string, layout instance.Layout, others bool, err error) {
	all, layout, err := app.instanceNames()
	if err != nil {
		return nil, layout, false, err
	}
	names = slices.DeleteFunc(slices.Clone(all), func(name string) bool {
		return name != layout.DefaultName && startedByOther(app, filepath.Join(layout.StateDir, name+".json"))
	})
	return names, layout, len(names) < len(all), nil
}

// instanceNames lists the instances of the state directory, which it never creates.
func (app *App) instanceNames() ([]string, instance.Layout, error) {
	layout, err := app.layout(false)
	if err != nil {
		return nil, layout, err
	}
	names, err := instance.Names(layout.StateDir)
	return names, layout, err
}

// nameList joins names with commas, at most max of them, saying how many more there are.
func nameList(names []string, max int) string {
	if len(names) <= max {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:max], ", "), len(names)-max)
}

// maxParallel bounds how many instances --all acts on at once: enough that a slow stop
// never holds the others back much, few enough to stay clear of descriptor limits. A
// variable for tests alone.
var maxParallel = 32

// forEachInstance runs do on every instance of the state directory, in parallel, and
// prints what each printed, together, as each finishes, each failure's error on stderr.
// do gets an App of its own whose Stdout and Config.Stderr are that instance's; notes on
// its progress (progressOut) go to stderr at once. A wait in do for something else than
// the instance's own work (App.whileWaiting: a start to end) gives its turn up meanwhile,
// so that it holds back no instance after it. The error, if any instance failed, is
// exit 1 and names them. The reports are written on a goroutine of their own
// (allReports): one that cannot be written (a pipe nobody reads) holds back no instance's
// work, and once ctx ends (an interrupt) and every do has returned, forEachInstance waits
// no longer for them: its error then carries what could not be written to stdout.
func forEachInstance(ctx context.Context, app *App, verb string, do func(app *App, paths instance.Paths) error) error {
	names, layout, err := app.instanceNames()
	if err != nil {
		return err
	}
	if len(names) == 0 {
		fmt.Fprintf(app.Stdout, "no instances in %s\n", showPath(layout.StateDir))
		return nil
	}
	var (
		mu    sync.Mutex // stderr's: the progress notes and the reports' errors
		wg    sync.WaitGroup
		slots = make(chan struct{}, maxParallel)
		// stderr a pipe nobody reads holds the reports and the progress notes only until
		// an interrupt, as stdout does: then what it cannot take is given up.
		stderr = app.stderrUntilInterrupted(ctx)
	)
	reports := newAllReports(app.Stdout, lockedWriter{&mu, stderr})
	for _, name := range names {
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer func() { <-slots; wg.Done() }()
			var out, errs bytes.Buffer
			own := *app
			own.Stdout, own.Config.Stderr = &out, &errs
			own.progress = lockedWriter{&mu, app.progressOut()}
			if app.progress == nil { // progressOut is stderr
				own.progress = lockedWriter{&mu, stderr}
			}
			own.yieldTurn = func(wait func()) {
				<-slots
				defer func() { slots <- struct{}{} }()
				wait()
			}
			flags := InstanceFlags{Name: name}
			paths, err := flags.paths(&own, "", false)
			if err == nil {
				err = do(&own, paths)
			}
			if err != nil {
				if msg := errorText(err); msg != "" {
					app.say(&errs, hclog.Error, "", msg, "instance", name)
				}
			}
			reports.add(name, err != nil, out.Bytes(), errs.Bytes())
		}()
	}
	wg.Wait()
	var why []string
	if unwritten := reports.finish(ctx); len(unwritten) > 0 {
		why = append(why, fmt.Sprintf("%s --all: %v while writing to a standard output nobody reads: not written there: %s",
			verb, context.Cause(ctx), strings.Join(unwritten, "; ")))
	}
	if failed := reports.failedNames(); len(failed) > 0 {
		why = append([]string{fmt.Sprintf("could not %s %d of %d instances: %s", verb, len(failed), len(names), nameList(failed, len(failed)))}, why...)
	}
	if len(why) == 0 {
		return nil
	}
	return withCode(exitFailed, errors.New(strings.Join(why, "; ")))
}

// lockedWriter writes to w holding mu: one writer of several goroutines' lines.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// errorText is what Config.exitCode would print for err ("" for an error whose command
// already said it).
func errorText(err error) string {
	_, msg := Config{}.outcome(err)
	return msg
}
