package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/alecthomas/kong"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/logfile"
	"github.com/daemonkit/daemonkit/pidfile"
)

// DeleteCmd forgets a stopped instance: its record, and a stale pidfile. It never stops
// anything, and keeps the log.
type DeleteCmd struct {
	InstanceTarget
}

// Validate takes the name as an argument or as --name; Run requires one of them (or
// --pidfile).
func (c *DeleteCmd) Validate(kctx *kong.Context) error {
	if err := checkGivenNames(kctx, &c.Name, &c.PIDFile); err != nil {
		return err
	}
	return c.takeName(kctx)
}

// which is delete's usage error without a name, for forgetting is never done to a default:
// it says how to give one, as a command line to paste that works (the first instance
// that is stopped: delete refuses a running or starting one), and lists the instances
// there are; when they all run, it says so instead.
func which(app *App) error {
	names, layout, others, err := app.ownInstanceNames() // another program's are its to name
	if err == nil && len(names) > 0 && startedByOther(app, filepath.Join(layout.StateDir, layout.DefaultName+".json")) {
		// even of this program's default name: its record says another started it
		names, others = slices.DeleteFunc(names, func(n string) bool { return n == layout.DefaultName }), true
	}
	switch {
	case err != nil:
		return withCode(exitUsage, fmt.Errorf("delete: which instance? give its name: %w", err))
	case len(names) == 0 && others:
		return withCode(exitUsage, fmt.Errorf("delete: which instance? give its name; %s has none of %s's, only other programs' ('%s' lists them)", layout.StateDir, app.Config.Name, listLine(app)))
	case len(names) == 0:
		return withCode(exitUsage, fmt.Errorf("delete: which instance? give its name; %s has none", layout.StateDir))
	}
	stopped := slices.IndexFunc(names, func(name string) bool {
		paths, err := (&InstanceFlags{Name: name}).paths(app, "", false)
		if err != nil {
			return false
		}
		st, err := instance.Inspect(paths)
		return err == nil && !st.Running() && !st.Starting
	})
	if stopped < 0 {
		return withCode(exitUsage, fmt.Errorf("delete: which instance? every one runs (%s), and delete forgets only a stopped one: stop it first", nameList(names, 10)))
	}
	return withCode(exitUsage, fmt.Errorf("delete: which instance? give its name, as in '%s' (instances: %s)", app.commandByName("delete", names[stopped], true), nameList(names, 10)))
}

// listLine is the command line that lists the state directory's instances, to paste.
func listLine(app *App) string {
	args, _, _ := app.commandStart("list")
	return adviceJoin(args)
}

// Run refuses a running instance, or one whose last run left processes running (exit 1),
// else removes its record and a stale pidfile and says where its log is kept.
func (c *DeleteCmd) Run(app *App) error {
	if c.Name == "" && c.PIDFile == "" {
		return which(app)
	}
	paths, err := c.paths(app, "", false)
	if err != nil {
		return err
	}
	st, err := instance.Inspect(paths)
	if err != nil {
		return fmt.Errorf("delete %s: cannot tell whether it runs: %w", paths.Name, err)
	}
	if st.Running() {
		return withCode(exitFailed, fmt.Errorf("%s is running (pid %d): stop it first ('%s')", paths.Name, st.PID(), app.commandFor("stop", paths)))
	}
	if st.Starting {
		return withCode(exitFailed, fmt.Errorf("%s is starting (start pid %d): stop it first ('%s')", paths.Name, st.StartPID, app.commandFor("stop", paths)))
	}
	rec, recErr := instance.ReadRecord(paths.Record)
	if left := instance.Leftovers(paths, rec); recErr == nil && len(left) > 0 {
		return leftRunning(app, paths, left, "which nothing could find once its record is gone")
	}
	noRecord := errors.Is(recErr, fs.ErrNotExist)
	if recErr != nil && !noRecord {
		if errors.Is(recErr, instance.ErrBadRecord) {
			return fmt.Errorf("delete %s: %w; if it is %s's record, damaged, remove it (rm %s)", paths.Name, recErr, paths.Name, paths.Record)
		}
		return fmt.Errorf("delete %s: %w", paths.Name, recErr) // another user's: not ours to remove
	}
	// What a start killed on its way left (see instance.BeginStart): not an instance alone.
	leftStart, _ := pidfile.RemoveStale(paths.StartLock())
	if noRecord && st.Pidfile.State == pidfile.Absent && !leftStart {
		// What a failed start of a name that never ran, or a record's writer killed
		// mid-write, may have left: hidden, and no instance, but nothing else removes it.
		instance.RemoveRecordTemps(paths.Record)
		instance.RemoveRecordLock(paths.Record)
		instance.RemoveReloadMark(paths.Record)
		return withCode(exitFailed, fmt.Errorf("no instance %s: neither %s nor %s exists", paths.Name, paths.Record, paths.PIDFile))
	}
	if st.Pidfile.State == pidfile.Stale {
		if _, err := pidfile.RemoveStale(paths.PIDFile); err != nil {
			if errors.Is(err, pidfile.ErrLocked) {
				return withCode(exitFailed, fmt.Errorf("%s started meanwhile: stop it first", paths.Name))
			}
			return fmt.Errorf("delete %s: %w", paths.Name, err)
		}
	}
	log := paths.Log
	if rec.Log != "" {
		log = movedLog(rec, paths.Record) // as status and logs found it, while the record is there
	}
	if !noRecord {
		if err := removeRecord(paths, rec); err != nil {
			return err
		}
	}
	if testHookDeleteRemoved != nil {
		testHookDeleteRemoved()
	}
	instance.RemoveStaleControl(paths) // a supervisor killed with SIGKILL left it
	instance.RemoveRecordTemps(paths.Record)
	instance.RemoveRecordLock(paths.Record)
	instance.RemoveReloadMark(paths.Record) // a reload's that its daemon, killed, never took
	removeLogClaims(app, paths, rec)
	if err := startedMeanwhile(app, paths); err != nil {
		return err
	}
	if _, err := os.Lstat(log); err == nil && !logfile.Discards(log) { // /dev/null keeps nothing
		fmt.Fprintf(app.Stdout, "deleted %s (its log is kept: %s)\n", paths.Name, showPath(log))
	} else {
		fmt.Fprintf(app.Stdout, "deleted %s\n", paths.Name)
	}
	return nil
}

// startedMeanwhile is delete's error, exit 1, when the instance at paths runs or starts
// once delete has removed what it found: a start meanwhile, whose files (its pidfile, its
// record, its log's claims) each removal checked again and kept, and which runs on. Its
// earlier run's record, if delete found one, is gone. nil when it neither runs nor starts,
// or when that cannot be told: delete said what it removed, and would not have removed
// a running instance's.
func startedMeanwhile(app *App, paths instance.Paths) error {
	st, err := instance.Inspect(paths)
	switch {
	case err != nil:
		return nil
	case st.Running():
		return withCode(exitFailed, fmt.Errorf("%s started meanwhile (pid %d), as delete removed its earlier run's files: what the new run has (its pidfile, record and log claims) is kept, and it runs on; to delete it, stop it first ('%s')",
			paths.Name, st.PID(), app.commandFor("stop", paths)))
	case st.Starting:
		return withCode(exitFailed, fmt.Errorf("%s started meanwhile (start pid %d), as delete removed its earlier run's files: what the new run has (its pidfile, record and log claims) is kept, and it goes on starting; to delete it, stop it first ('%s')",
			paths.Name, st.StartPID, app.commandFor("stop", paths)))
	}
	return nil
}

// testHookDeleteRemoved, when set by a test, runs when delete has removed the record,
// before the rest.
var testHookDeleteRemoved func()

// removeLogClaims removes the claims of the log that the deleted instance at paths was
// started with (its record rec's, else its default), where they still name it (see
// instance.RemoveLogClaims).
func removeLogClaims(app *App, paths instance.Paths, rec instance.Record) {
	layout, err := app.layout(false)
	if err != nil {
		return
	}
	if rec.Log != "" {
		paths.Log = rec.Log
	}
	instance.RemoveLogClaims(layout.StateDir, paths)
}

// removeRecord removes the instance's record, rec, and only it: a record that a daemon
// started since has written names another pid, and is left alone.
func removeRecord(paths instance.Paths, rec instance.Record) error {
	var err error
	if rec.PID >= 1 {
		err = instance.RemoveRecord(paths.Record, rec.PID)
	} else if err = os.Remove(paths.Record); errors.Is(err, fs.ErrNotExist) {
		err = nil
	}
	if err != nil {
		return fmt.Errorf("delete %s: %w", paths.Name, err)
	}
	if r, err := instance.ReadRecord(paths.Record); err == nil {
		if r.PID != rec.PID {
			return withCode(exitFailed, fmt.Errorf("%s started meanwhile: its new record is kept", paths.Name))
		}
		return fmt.Errorf("delete %s: its record %s is still there", paths.Name, paths.Record)
	}
	return nil
}
