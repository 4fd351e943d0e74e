package cli

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hashicorp/go-hclog"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/supervisor"
)

// ownedVariables are the variables daemonkit sets itself in the environment of what it
// runs, or passes between its own processes. A value given with --env or in an --env-file
// would be replaced or dropped without a word (the supervisor sets the notify and socket
// ones, or removes them; start and the supervisor mark each run and copy), or would
// break the start (the exec step's report descriptor). So each is refused, by name, with
// what to give instead.
var ownedVariables = []struct {
	keys     []string
	why, fix string
}{
	{[]string{"NOTIFY_SOCKET"}, "it gives a program a notify socket of its own with --ready notify, and none otherwise", "leave it out, and give --ready notify"},
	{[]string{"WATCHDOG_USEC", "WATCHDOG_PID"}, "it gives a program no watchdog: a service manager's watchdog watches daemonkit (docs/deploy.md)", "leave it out"},
	{[]string{"LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES"}, "it sets them for the sockets it binds and hands on, and removes them otherwise", "leave it out, and give --socket [NAME=]tcp:HOST:PORT (or unix:PATH) for each socket"},
	{[]string{instance.InvocationEnv, supervisor.GenerationEnv}, "it marks each run and each copy of the program with them, to find what they leave running", "leave it out"},
	{[]string{requestEnv, failHeardEnv, supervisor.ExecReportEnv, supervisor.ExecOpenFilesEnv}, "its own processes pass it between them", "leave it out"},
}

// ownedVariable says why daemonkit refuses key from --env or an env file, or "" when it
// does not (ownedVariables). The caller names where it came from, and leaves the value
// out: an env file's may be a secret.
func ownedVariable(key string) string {
	for _, o := range ownedVariables {
		for _, k := range o.keys {
			if key == k || (k == requestEnv && strings.HasPrefix(key, requestEnv+"_")) {
				return fmt.Sprintf("daemonkit sets %s itself, never to a value given: %s; %s", key, o.why, o.fix)
			}
		}
	}
	return ""
}

// ownedAt is a variable of daemonkit's own (ownedVariable) given to the work: its key, and
// where ("env file PATH:LINE", or "--env").
type ownedAt struct{ key, where string }

// warnOwnedEnv says once on stderr, for what (restart NAME, reload NAME), that the
// variables of daemonkit's own which f's env files or --env give are left out of the
// program's environment, as daemonkit did before start refused them: an instance started
// so, or whose env file gained one since, still restarts and reloads. Nothing when there
// are none, or when the environment cannot be read (the start says why).
func warnOwnedEnv(app *App, what string, f ProcessFlags) {
	_, _, owned, err := f.environOwned()
	if err != nil || len(owned) == 0 {
		return
	}
	var each []string
	inFile, inEnv := false, false
	for _, o := range owned {
		each = append(each, o.key+" ("+o.where+")")
		inEnv = inEnv || o.where == "--env"
		inFile = inFile || o.where != "--env"
	}
	// An env file's can be removed from it; an --env's is the record's, which only a
	// new start changes.
	var fix []string
	if inFile {
		fix = append(fix, "remove them from the env file")
	}
	if inEnv {
		fix = append(fix, "stop it, then start it without those of --env")
	}
	app.say(app.Config.Stderr, hclog.Warn, "warning: ", fmt.Sprintf("%s: %s: daemonkit sets these itself, never to a value given, and leaves them out of the program's environment; %s (start refuses them)",
		what, strings.Join(each, ", "), strings.Join(fix, "; ")))
}

// warnOwnedEnvOfCheck is warnOwnedEnv for reload of the instance st describes, whose
// --reload-check runs in the program's environment, read again: nothing without a check.
func warnOwnedEnvOfCheck(app *App, st instance.Status) {
	var req request
	if st.Record == nil || json.Unmarshal(st.Record.Request, &req) != nil || req.Supervise == nil || req.Supervise.ReloadCheck == "" {
		return
	}
	warnOwnedEnv(app, "reload "+st.Paths.Name+": its --reload-check's environment", req.ProcessFlags)
}
