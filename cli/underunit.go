package cli

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/hashicorp/go-hclog"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/daemonkit/daemonkit/pidfile"
)

// A managingUnit is the systemd service that runs an instance in the foreground, as the
// unit `unit` prints does: its ExecStart= is the instance's supervisor.
type managingUnit struct {
	Name      string // "web.service"
	Systemctl string // the command that drives it: "systemctl", or "systemctl --user"
}

// unitOf is the systemd service that runs the instance at paths, if it runs now, in the
// foreground (its record names no strategy), as a service's own process (see
// serviceProcess): its supervisor is then that service's ExecStart=, a stop of it
// systemd's to take (it starts it again by its Restart=, or counts the service stopped),
// and a restart systemd's to make. The zero managingUnit when it does not run so (a
// foreground start of a shell, of a script a service runs, of a cron job, a container's
// PID 1), or where that cannot be told (no /proc).
func unitOf(paths instance.Paths) managingUnit {
	rec, err := instance.ReadRecord(paths.Record)
	if err != nil || rec.Strategy != "" || rec.PID <= 0 { // a -d daemon's record names its strategy
		return managingUnit{}
	}
	unit := unitOfProcess(rec.PID)
	if unit.Name == "" {
		return unit
	}
	if held, err := pidfile.Probe(paths.PIDFile); err != nil || held.State != pidfile.Running || held.PID != rec.PID {
		return managingUnit{}
	}
	return unit
}

// unitOfProcess is the systemd service whose own process pid is (see serviceProcess), or
// the zero managingUnit.
func unitOfProcess(pid int) managingUnit {
	st, err := proc.ReadStat(pid)
	if err != nil || st.SID != pid { // a shell's foreground job leads no session: nothing more to read
		return managingUnit{}
	}
	comm, _ := os.ReadFile("/proc/" + strconv.Itoa(st.PPID) + "/comm")
	if string(comm) != "systemd\n" {
		return managingUnit{}
	}
	cgroup, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cgroup")
	return serviceProcess(pid, st, string(comm), serviceEnvOf(pid), string(cgroup))
}

// recorded is u as a record keeps it (instance.Record.Unit): systemctl's arguments that
// name it, "web.service" or "--user web.service"; "" for none.
func (u managingUnit) recorded() string {
	if u.Name == "" {
		return ""
	}
	return strings.TrimSpace(strings.TrimPrefix(u.Systemctl, "systemctl") + " " + u.Name)
}

// command is the systemctl command line that does verb ("restart", or a choice of verbs:
// "stop|start|restart") to u, for advice set off in single quotes: u's name quoted as
// adviceWord quotes it, so that one with a backslash (a template's escaped instance,
// "app@my\x2dsite.service") pastes into sh as it is, where sh would drop the backslash.
func (u managingUnit) command(verb string) string {
	return u.Systemctl + " " + verb + " " + adviceWord(u.Name)
}

// recordedUnit is the service a record's Unit names (see recorded): the zero managingUnit
// for none.
func recordedUnit(rec instance.Record) managingUnit {
	name, user := strings.CutPrefix(rec.Unit, "--user ")
	if !strings.HasSuffix(name, ".service") || strings.ContainsAny(name, " /") {
		return managingUnit{}
	}
	if user {
		return managingUnit{Name: name, Systemctl: "systemctl --user"}
	}
	return managingUnit{Name: name, Systemctl: "systemctl"}
}

// serviceEnv is what the environment a process was executed with says of the service
// manager that executed it.
type serviceEnv struct {
	unknown    bool   // it cannot be read: a process with capabilities its reader lacks (AmbientCapabilities=)
	invocation bool   // INVOCATION_ID is set: systemd (232 and later) executed it, or an ancestor, for a unit
	execPID    string // SYSTEMD_EXEC_PID (systemd 248 and later): the pid systemd executed, "" if unset
}

// serviceEnvOf reads pid's serviceEnv from /proc.
func serviceEnvOf(pid int) serviceEnv {
	if _, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ"); err != nil {
		return serviceEnv{unknown: true}
	}
	_, invocation := proc.Getenv(pid, "INVOCATION_ID")
	execPID, _ := proc.Getenv(pid, "SYSTEMD_EXEC_PID")
	return serviceEnv{invocation: invocation, execPID: execPID}
}

// serviceProcess is the service whose own process pid is (st its /proc/PID/stat, parentComm
// its parent's comm, env what its environment says, cgroup its /proc/PID/cgroup): systemd
// (the system's manager, or a user's) executed it, as it executes every service's process,
// as its child, the leader of a session of its own, in the service's cgroup, with
// INVOCATION_ID, and SYSTEMD_EXEC_PID naming it where systemd sets that. A process a
// service merely started (a script's background job, even one that made a session of its
// own, a cron job's, one left to init when its parent exited) fails one of these: the zero
// managingUnit. An environment that cannot be read is not held against it.
func serviceProcess(pid int, st proc.Stat, parentComm string, env serviceEnv, cgroup string) managingUnit {
	switch {
	case parentComm != "systemd\n" || st.SID != pid:
		return managingUnit{}
	case env.unknown:
	case !env.invocation, env.execPID != "" && env.execPID != strconv.Itoa(pid):
		return managingUnit{}
	}
	return serviceOfCgroup(cgroup)
}

// serviceOfCgroup is the service whose cgroup a /proc/PID/cgroup file (its text) names: the
// last element of the unified hierarchy's path ("0::/system.slice/web.service"), or of
// systemd's own v1 hierarchy's ("1:name=systemd:/..."), when it is a .service; one under a
// user's manager (user@1000.service) is driven by systemctl --user.
func serviceOfCgroup(text string) managingUnit {
	var path string
	for _, line := range strings.Split(text, "\n") {
		id, rest, _ := strings.Cut(line, ":")
		controllers, p, ok := strings.Cut(rest, ":")
		switch {
		case !ok:
		case id == "0" && controllers == "":
			path = p
		case controllers == "name=systemd" && path == "":
			path = p
		}
	}
	elems := strings.Split(path, "/")
	last := elems[len(elems)-1]
	if !strings.HasSuffix(last, ".service") || len(last) == len(".service") {
		return managingUnit{}
	}
	u := managingUnit{Name: last, Systemctl: "systemctl"}
	for _, e := range elems[:len(elems)-1] {
		if strings.HasPrefix(e, "user@") && strings.HasSuffix(e, ".service") {
			u.Systemctl = "systemctl --user"
		}
	}
	return u
}

// unitNote notes on stderr, for a start of the instance at paths, that it last ran as a
// systemd service's process (its record says which), unless this start is that service's:
// while the daemon this start runs, a start of the service fails (already running), and
// systemd no longer restarts it.
func unitNote(app *App, paths instance.Paths) {
	rec, err := instance.ReadRecord(paths.Record)
	if err != nil || rec.Strategy != "" {
		return
	}
	unit := recordedUnit(rec)
	if unit.Name == "" || unit == unitOfProcess(os.Getpid()) {
		return
	}
	app.say(app.Config.Stderr, hclog.Info, "note: ", fmt.Sprintf("%s last ran as systemd's %s; while this start's daemon runs, '%s' fails (already running): to run it under systemd again, stop it ('%s') and '%s'",
		paths.Name, unit.Name, unit.command("start"), app.commandFor("stop", paths), unit.command("start")))
}
