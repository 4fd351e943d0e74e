package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/pidfile"
)

// rootStateDir is root's default state directory for the program: where an instance
// started with sudo lives.
var rootStateDir = func(program string) string { return filepath.Join("/run", program) }

// elsewhereNote says, to a user who finds no running instance at paths, where one of that
// name runs all the same: where the directory of its record is a copy (cp -a, a backup
// restored beside it) of one whose daemon still runs (copyNote), in any state directory;
// where it runs with its pidfile elsewhere, as its log's claim in the state directory says
// (pidfileElsewhereNote);
// and, in the user's own default state directory, in root's state directory (started with
// sudo, which status and stop would call not running, as pm2 does of apps another user
// started), or in a former default directory of theirs (started by a daemonkit before
// 2026-11-26: instance.FormerStateDirs). It is "" otherwise. command is the command word
// the advice repeats, and after its own flags given, which the advice repeats after the
// instance (commandFor).
func elsewhereNote(app *App, paths instance.Paths, command string, after ...string) string {
	if note := copyNote(app, paths, command, after...); note != "" {
		return note
	}
	if note := pidfileElsewhereNote(app, paths, command, after...); note != "" {
		return note
	}
	own, ok := defaultDirOf(app, paths)
	if !ok {
		return ""
	}
	if os.Geteuid() != 0 {
		if note := runningIn(rootStateDir(app.Config.Name), paths.Name, app.commandFor(command, paths, after...)); note != "" {
			return note
		}
	}
	for _, dir := range instance.FormerStateDirs(app.Config.Name, own) {
		if pid, pf := heldIn(dir, paths.Name); pid > 0 {
			return fmt.Sprintf("an instance named %s runs from %s, where an earlier %s kept it (pid %d, pidfile %s): '%s'",
				paths.Name, dir, app.Config.Name, pid, pf, app.commandIn(dir, command, instance.Paths{Name: paths.Name, PIDFile: pf}, after...))
		}
	}
	return ""
}

// pidfileElsewhereNote is the note for a name looked up in the state directory whose
// instance runs with its pidfile elsewhere, as its start was given (--pidfile run/web.pid,
// typed in another directory): the claim of its log there names it (instance.RunsElsewhere).
// Without the note, stop web would say "web was not running", exit 0, and status web "not
// running", exit 3, while it runs. Where several of that name run so (typed in two
// directories), it names each, with the command that reaches it, after its flags as
// elsewhereNote's. "" otherwise.
func pidfileElsewhereNote(app *App, paths instance.Paths, command string, after ...string) string {
	found := runsElsewhere(app, paths)
	if len(found) == 0 {
		return ""
	}
	return elsewhereText(app, paths, command, found, after...)
}

// runsElsewhere is every instance named as paths is, paths being the name's in the state
// directory, that runs with the pidfile its start was given elsewhere
// (instance.RunsElsewhere); none for paths that are not the state directory's.
func runsElsewhere(app *App, paths instance.Paths) []instance.Elsewhere {
	layout, err := app.layout(false)
	if err != nil || layout.StateDir == "" || filepath.Dir(paths.PIDFile) != filepath.Clean(layout.StateDir) {
		return nil
	}
	return instance.RunsElsewhere(layout.StateDir, paths.Name, paths.PIDFile)
}

// elsewhereText says where found, the instances named as paths is that run with their
// pidfiles elsewhere, run, each with command's line that reaches it, after its flags as
// elsewhereNote's.
func elsewhereText(app *App, paths instance.Paths, command string, found []instance.Elsewhere, after ...string) string {
	reach := func(e instance.Elsewhere) string {
		return app.commandFor(command, instance.Paths{Name: paths.Name, PIDFile: e.Paths.PIDFile}, after...)
	}
	if len(found) == 1 {
		return fmt.Sprintf("an instance named %s runs (pid %d) with its pidfile %s, which its start was given: '%s'",
			paths.Name, found[0].PID, showPath(found[0].Paths.PIDFile), reach(found[0]))
	}
	each := make([]string, len(found))
	for i, e := range found {
		each[i] = fmt.Sprintf("pid %d, pidfile %s: '%s'", e.PID, showPath(e.Paths.PIDFile), reach(e))
	}
	return fmt.Sprintf("%d instances named %s run with the pidfiles their starts were given: %s", len(found), paths.Name, strings.Join(each, "; "))
}

// formerRunning refuses to start an instance whose name runs from a former default state
// directory (instance.FormerStateDirs): it would be a second copy. Exit 3, as for one that
// runs here.
func formerRunning(app *App, paths instance.Paths) error {
	own, ok := defaultDirOf(app, paths)
	if !ok {
		return nil
	}
	for _, dir := range instance.FormerStateDirs(app.Config.Name, own) {
		if pid, pf := heldIn(dir, paths.Name); pid > 0 {
			return alreadyRunning(nil, "%s is already running (pid %d), from %s, where an earlier %s kept it: '%s' stops it there",
				paths.Name, pid, dir, app.Config.Name, app.commandIn(dir, "stop", instance.Paths{Name: paths.Name, PIDFile: pf}))
		}
	}
	return nil
}

// defaultDirOf returns the user's default state directory, and whether the instance at
// paths is in it: no --state-dir, and no --pidfile elsewhere.
func defaultDirOf(app *App, paths instance.Paths) (string, bool) {
	if app.Globals.StateDir != "" {
		return "", false
	}
	own, _, err := instance.DefaultStateDir(app.Config.Name)
	return own, err == nil && filepath.Dir(paths.PIDFile) == own
}

// runningIn returns the note for an instance name whose pidfile in root's state directory
// dir is held by a daemon, or ""; command is the line the advice runs with sudo.
func runningIn(dir, name, command string) string {
	pid, pf := heldIn(dir, name)
	if pid == 0 {
		return ""
	}
	return fmt.Sprintf("an instance named %s runs as root (pid %d, pidfile %s): 'sudo %s'", name, pid, pf, command)
}

// heldIn returns the pid of the daemon that holds name's pidfile in dir, and the pidfile,
// or 0.
func heldIn(dir, name string) (int, string) {
	pf := filepath.Join(dir, name+".pid")
	st, err := pidfile.Probe(pf)
	if err != nil || st.State != pidfile.Running {
		return 0, pf
	}
	return st.PID, pf
}

// copyNote is the note for an instance at paths whose record lies in a copy of the
// directory it was written in, where its daemon still runs (copyOfRunning): that
// directory, the daemon's pid, and command's line for it there. "" otherwise, and when
// the record cannot be read. after are command's flags, as elsewhereNote's.
func copyNote(app *App, paths instance.Paths, command string, after ...string) string {
	rec, err := instance.ReadRecord(paths.Record)
	if err != nil {
		return ""
	}
	dir, pid, ok := copyOfRunning(rec, paths.Record)
	if !ok {
		return ""
	}
	return fmt.Sprintf("%s is a copy of %s, where its record of %s was written and %s runs (pid %d): '%s'",
		filepath.Dir(paths.Record), dir, paths.Name, paths.Name, pid, app.commandIn(dir, command, instance.Paths{Name: paths.Name, PIDFile: rec.PIDFile}, after...))
}

// commandIn is commandFor's line for command and the instance at paths in the state
// directory dir, which it names (--state-dir), in place of the one app has; after as
// commandFor's.
func (app *App) commandIn(dir, command string, paths instance.Paths, after ...string) string {
	there := *app
	globals := *app.Globals
	globals.StateDir = dir
	there.Globals = &globals
	return there.commandFor(command, paths, after...)
}
