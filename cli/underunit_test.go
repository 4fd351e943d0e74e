package cli

import (
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/internal/proc"
)

// TestServiceOfCgroup: the service a /proc/PID/cgroup names, by the unified hierarchy's
// path, else systemd's v1 one; systemctl --user for one under a user's manager; none for a
// scope, a slice, the root (a container's), or no file at all.
func TestServiceOfCgroup(t *testing.T) {
	for _, tc := range []struct {
		text string
		want managingUnit
	}{
		{"0::/system.slice/web.service\n", managingUnit{"web.service", "systemctl"}},
		{"0::/system.slice/system-app.slice/app@2.service\n", managingUnit{"app@2.service", "systemctl"}},
		{"0::/user.slice/user-1000.slice/user@1000.service/app.slice/web.service\n", managingUnit{"web.service", "systemctl --user"}},
		{"12:cpu,cpuacct:/\n1:name=systemd:/system.slice/web.service\n0::/system.slice/web.service\n", managingUnit{"web.service", "systemctl"}},
		{"3:memory:/x\n1:name=systemd:/system.slice/old.service\n", managingUnit{"old.service", "systemctl"}}, // v1 only
		{"0::/user.slice/user-1000.slice/session-3.scope\n", managingUnit{}},
		{"0::/user.slice/user-1000.slice/user@1000.service\n", managingUnit{"user@1000.service", "systemctl"}}, // the manager itself
		{"0::/\n", managingUnit{}},
		{"0::/.service\n", managingUnit{}},
		{"", managingUnit{}},
	} {
		if got := serviceOfCgroup(tc.text); got != tc.want {
			t.Errorf("serviceOfCgroup(%q) = %+v, want %+v", tc.text, got, tc.want)
		}
	}
}

// TestServiceProcess: only a process systemd executed as a service's (its child, leading a
// session of its own, with INVOCATION_ID, and SYSTEMD_EXEC_PID naming it where set) is taken
// for the service's; a foreground start that a cron job or a script left to a PID 1 named
// systemd, in cron.service's or rc-local.service's cgroup, is not, even one that made a
// session of its own (setsid -f).
func TestServiceProcess(t *testing.T) {
	const pid, cgroup = 42, "0::/system.slice/web.service\n"
	web := managingUnit{"web.service", "systemctl"}
	for _, tc := range []struct {
		name   string
		st     proc.Stat
		parent string
		env    serviceEnv
		want   managingUnit
	}{
		{"the service's own", proc.Stat{PPID: 1, SID: pid}, "systemd\n", serviceEnv{invocation: true, execPID: "42"}, web},
		{"an older systemd's", proc.Stat{PPID: 1, SID: pid}, "systemd\n", serviceEnv{invocation: true}, web},
		{"a user manager's", proc.Stat{PPID: 900, SID: pid}, "systemd\n", serviceEnv{invocation: true, execPID: "42"}, web},
		{"with capabilities: its environment unread", proc.Stat{PPID: 1, SID: pid}, "systemd\n", serviceEnv{unknown: true}, web},
		{"a job's, left to init", proc.Stat{PPID: 1, SID: 7}, "systemd\n", serviceEnv{invocation: true, execPID: "7"}, managingUnit{}},
		{"a script's setsid -f, left to init", proc.Stat{PPID: 1, SID: pid}, "systemd\n", serviceEnv{invocation: true, execPID: "7"}, managingUnit{}},
		{"no INVOCATION_ID", proc.Stat{PPID: 1, SID: pid}, "systemd\n", serviceEnv{}, managingUnit{}},
		{"another parent", proc.Stat{PPID: 9, SID: pid}, "bash\n", serviceEnv{invocation: true, execPID: "42"}, managingUnit{}},
	} {
		if got := serviceProcess(pid, tc.st, tc.parent, tc.env, cgroup); got != tc.want {
			t.Errorf("%s: serviceProcess = %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

// TestRecordedUnit: a service, the system's or a user's, comes back from the record as it
// went in; a record of none, or of what is no service name, names none.
func TestRecordedUnit(t *testing.T) {
	for _, u := range []managingUnit{{"web.service", "systemctl"}, {"app@2.service", "systemctl --user"}, {}} {
		if got := recordedUnit(instance.Record{Unit: u.recorded()}); got != u {
			t.Errorf("recordedUnit(%q) = %+v, want %+v", u.recorded(), got, u)
		}
	}
	for _, bad := range []string{"web", "--user", "web.service; rm", "../x.service", "--system web.service"} {
		if got := recordedUnit(instance.Record{Unit: bad}); got != (managingUnit{}) {
			t.Errorf("recordedUnit(%q) = %+v, want none", bad, got)
		}
	}
}

// TestUnitCommand: the systemctl command line of advice pastes into sh and dash as the
// arguments it means, a template's escaped instance (a backslash) too.
func TestUnitCommand(t *testing.T) {
	for _, u := range []managingUnit{{"web.service", "systemctl"}, {`app@my\x2dsite.service`, "systemctl --user"}, {`a@b\x20c.service`, "systemctl"}} {
		got := u.command("restart")
		want := append(strings.Fields(u.Systemctl), "restart", u.Name)
		for _, shell := range []string{"sh", "dash"} {
			if _, err := exec.LookPath(shell); err != nil {
				continue
			}
			out, err := exec.Command(shell, "-c", `printf '%s\0' `+got).Output()
			if back := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00"); err != nil || !slices.Equal(back, want) {
				t.Errorf("%s reads %s back as %q (%v), want %q", shell, got, back, err, want)
			}
		}
	}
}
