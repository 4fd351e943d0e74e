package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/daemonkit/daemonkit/instance"
)

// alreadyRunningAs is err, start's exit 3 for an instance already running, with what this
// start asks for that the running one was not started with, where its record says so: the
// command, and options such as --umask or --env-file. A script that runs start again with
// a changed configuration (cron, config management) would otherwise read "already running"
// as done while the daemon runs on with the old one. Any other error, an instance whose
// record cannot be read, or one started as this start asks, is err as it is.
func (c *StartCmd) alreadyRunningAs(app *App, paths instance.Paths, err error) error {
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != exitAlreadyUp || ee.err == nil {
		return err
	}
	rec, rerr := instance.ReadRecord(paths.Record)
	if rerr != nil || len(rec.Request) == 0 {
		return err
	}
	var was request
	if json.Unmarshal(rec.Request, &was) != nil {
		return err
	}
	was.restoreDropped() // what an older build's restart left out of the record, as start was given it
	diffs := c.differences(app, paths, &was)
	if len(diffs) == 0 {
		return err
	}
	return withCode(exitAlreadyUp, fmt.Errorf("%w, with other options than this start gives: %s; this start changed nothing: to run it with this start's, '%s', then start it again",
		ee.err, strings.Join(diffs, ", "), app.commandFor("stop", paths)))
}

// differences says, one option at a time, "--umask 0022 (this start: 0077)", what the
// request was started with that this start would give differently. It compares what start
// resolves the same way each time (paths made absolute, defaults filled in), what a
// foreground start has no use for (a strategy, a umask, a log without --log) only with
// -d, and leaves out what follows the caller's context rather than the command line: the inherited
// environment and limits, a --workdir not given (nohup's is the caller's directory), and
// --socket, whose port 0 was resolved once.
func (c *StartCmd) differences(app *App, paths instance.Paths, was *request) []string {
	var diffs []string
	differ := func(flag, then, now string) {
		if then != now {
			diffs = append(diffs, fmt.Sprintf("%s %s (this start: %s)", flag, then, now))
		}
	}
	none := func(s string) string { return cmpOr(s, "none") }
	switch {
	case was.Supervise != nil && len(c.Command) > 0:
		if !slices.Equal(was.Supervise.Command, c.Command) {
			diffs = append(diffs, fmt.Sprintf("the program %s (this start: %s)", shellJoin(was.Supervise.Command), shellJoin(c.Command)))
		}
	case was.Supervise != nil:
		diffs = append(diffs, fmt.Sprintf("the program %s (this start: %s's own work)", shellJoin(was.Supervise.Command), app.Config.Name))
	case len(c.Command) > 0:
		diffs = append(diffs, fmt.Sprintf("%s's own work (this start: the program %s)", app.Config.Name, shellJoin(c.Command)))
	}
	if was.Program == app.Config.Name && was.Flags != nil && app.Config.Flags != nil && was.Supervise == nil && len(c.Command) == 0 {
		if now, err := json.Marshal(app.Config.Flags); err == nil {
			diffs = append(diffs, flagsDiffer(app.Config.Name, was.Flags, now)...)
		}
	}
	if c.Detach || c.Log != "" { // in the foreground without --log, its log is its stderr
		differ("--log", showPath(was.Log), showPath(paths.Log))
	}
	if c.Detach { // the foreground detaches by no strategy, and keeps the caller's umask
		differ("--strategy", was.Strategy, c.Strategy)
		differ("--umask", fmt.Sprintf("%04o", was.Umask), fmt.Sprintf("%04o", int(c.Umask)))
	}
	if c.Workdir != "" {
		if dir, err := filepath.Abs(c.Workdir); err == nil {
			differ("--workdir", showPath(was.Workdir), showPath(dir))
		}
	}
	differ("--ready-timeout", was.ReadyTimeout.String(), c.ReadyTimeout.String())
	differ("--shutdown-timeout", was.ShutdownTimeout.String(), c.ShutdownTimeout.String())
	// --user and --group as given: the account a name gives now may not be the one the
	// work runs as (renumbered since), and root's --user root is not no --user (it sets
	// USER, LOGNAME and the groups).
	differ("--user", none(was.User), none(c.User))
	differ("--group", none(was.Group), none(c.Group))
	if !maps.Equal(envSet(was.Env), envSet(c.Env)) {
		differ("--env", none(shellJoin(was.Env)), none(shellJoin(c.Env)))
	}
	differ("--env-file", none(shellJoin(was.EnvFile)), none(shellJoin(c.EnvFile)))
	differ("--clear-env", fmt.Sprint(was.ClearEnv), fmt.Sprint(c.ClearEnv))
	differ("--nice", fmt.Sprint(was.Nice), fmt.Sprint(c.Nice))
	differ("--limit-nofile", fmt.Sprint(was.LimitNofile), fmt.Sprint(c.LimitNofile))
	if was.Supervise != nil && len(c.Command) > 0 {
		then, now := was.Supervise.SuperviseFlags, c.SuperviseFlags
		differ("--ready", then.Ready, now.Ready)
		differ("--ready-grace", then.ReadyGrace.String(), now.ReadyGrace.String())
		differ("--ready-interval", then.ReadyInterval.String(), now.ReadyInterval.String())
		differ("--restart", then.Restart, now.Restart)
		differ("--restart-delay", then.RestartDelay.String(), now.RestartDelay.String())
		differ("--min-uptime", then.MinUptime.String(), now.MinUptime.String())
		differ("--max-restarts", fmt.Sprint(then.MaxRestarts), fmt.Sprint(now.MaxRestarts))
		differ("--child-pidfile", none(showPath(then.ChildPIDFile)), none(showPath(now.ChildPIDFile)))
		differ("--drain-timeout", then.DrainTimeout.String(), now.DrainTimeout.String())
		differ("--reopen-signal", signalShown(reopenSignal(then.ReopenSignal)), signalShown(reopenSignal(now.ReopenSignal)))
		differ("--stop-signal", signalShown(stopSignal(then.StopSignal)), signalShown(stopSignal(now.StopSignal)))
		differ("--reload-signal", signalShown(reloadSignal(then.ReloadSignal)), signalShown(reloadSignal(now.ReloadSignal)))
		differ("--reload-check", none(shellJoin([]string{then.ReloadCheck})), none(shellJoin([]string{now.ReloadCheck})))
	}
	return diffs
}

// envSet is the environment --env values give, as the work gets them: the last value of a
// key wins, and their order does not matter.
func envSet(env []string) map[string]string {
	set := make(map[string]string, len(env))
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		set[k] = v
	}
	return set
}

// flagsDiffer says, field by field, how the program's own flags it was started with (then,
// Config.Flags as JSON) differ from this start's (now): "daemonkit's own flag Heartbeat
// 1000000000 (this start: 3000000000)". Flags that are no JSON object are compared whole.
func flagsDiffer(program string, then, now []byte) []string {
	var a, b map[string]json.RawMessage
	if json.Unmarshal(then, &a) != nil || json.Unmarshal(now, &b) != nil {
		if jsonEqual(then, now) {
			return nil
		}
		return []string{fmt.Sprintf("%s's own flags %s (this start: %s)", program, compact(then), compact(now))}
	}
	keys := slices.Sorted(maps.Keys(a))
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	var diffs []string
	for _, k := range keys {
		if !jsonEqual(a[k], b[k]) {
			diffs = append(diffs, fmt.Sprintf("%s's own flag %s %s (this start: %s)", program, k, cmpOr(compact(a[k]), "none"), cmpOr(compact(b[k]), "none")))
		}
	}
	return diffs
}

// compact is the JSON document j on one line.
func compact(j []byte) string {
	var b bytes.Buffer
	if json.Compact(&b, j) != nil {
		return string(j)
	}
	return b.String()
}

// signalShown is a signal flag's value as differences shows it: its signal's name (SIGTERM
// for TERM, sigterm and SIGTERM alike), or none.
func signalShown(sig syscall.Signal, _ bool) string {
	if sig == 0 {
		return "none"
	}
	return signalLabel(sig)
}

// cmpOr is s, or alt for an empty s.
func cmpOr(s, alt string) string {
	if s == "" || s == "''" {
		return alt
	}
	return s
}

// jsonEqual says whether two JSON documents hold the same values, whatever their spacing.
func jsonEqual(a, b []byte) bool { return compact(a) == compact(b) }
