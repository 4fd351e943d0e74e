package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/pidfile"
)

// rootStateDir is root's default state directory for the program: where an instance
// started with sudo lives.
var rootStateDir = func(program string) string { return filepath.Join("/run", program) }

// rootInstanceNote says, to a user who finds no running instance at paths in their own
// default state directory, that one of that name runs as root: started with sudo, it is in
// root's state directory, and status and stop would say only that it is not running, as pm2
// does of apps another user started. It is "" otherwise, and for root, or for an
// instance given by --state-dir or --pidfile.
// command is the command word the advice repeats with sudo.
func rootInstanceNote(app *App, paths instance.Paths, command string) string {
	if os.Geteuid() == 0 || app.Globals.StateDir != "" {
		return ""
	}
	own, _, err := instance.DefaultStateDir(app.Config.Name)
	if err != nil || filepath.Dir(paths.PIDFile) != own {
		return ""
	}
	return runningIn(rootStateDir(app.Config.Name), paths.Name, app.Config.Name+" "+command)
}

// runningIn returns the note for an instance name whose pidfile in root's state directory
// dir is held by a daemon, or ""; command is what the advice runs with sudo.
func runningIn(dir, name, command string) string {
	pf := filepath.Join(dir, name+".pid")
	st, err := pidfile.Probe(pf)
	if err != nil || st.State != pidfile.Running || st.PID == 0 {
		return ""
	}
	return fmt.Sprintf("an instance named %s runs as root (pid %d, pidfile %s): 'sudo %s --name %s'", name, st.PID, pf, command, name)
}
