package cli

import "testing"

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
