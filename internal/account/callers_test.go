package account

import "testing"

// TestOthersOwnValue: what names the caller's home, a runtime directory of another user than
// the work's, or any ssh agent is another's own; a value set on purpose elsewhere, or the
// work's user's own runtime directory, is not.
func TestOthersOwnValue(t *testing.T) {
	const nobody = 65534
	for _, tc := range []struct {
		key, value string
		want       bool
	}{
		{"XDG_RUNTIME_DIR", "/run/user/0", true},
		{"XDG_RUNTIME_DIR", "/run/user/1000", true}, // a shell reached by su keeps the first user's
		{"XDG_RUNTIME_DIR", "/run/user/65534", false},
		{"XDG_RUNTIME_DIR", "/run/user/65534/", false},
		{"XDG_RUNTIME_DIR", "/run/users", false},
		{"DBUS_SESSION_BUS_ADDRESS", "unix:path=/run/user/0/bus", true},
		{"DBUS_SESSION_BUS_ADDRESS", "unix:path=/run/user/65534/bus,guid=abc", false},
		{"DBUS_SESSION_BUS_ADDRESS", "unix:path=/run/dbus/system_bus_socket", false},
		{"XAUTHORITY", "/root/.Xauthority", true},
		{"XAUTHORITY", "/rooted/.Xauthority", false},
		{"XDG_CONFIG_HOME", "/root/.config", true},
		{"XDG_CONFIG_HOME", "/srv/root/conf", false}, // holds /root/ but is not in it
		{"XDG_CONFIG_HOME", "/srv/app/conf", false},
		{"XDG_CACHE_HOME", "/root", true},
		{"SSH_AUTH_SOCK", "/tmp/ssh-abc/agent.1", true},
	} {
		if got := OthersOwnValue(tc.key, tc.value, nobody, "/root/"); got != tc.want {
			t.Errorf("OthersOwnValue(%s, %q) = %v, want %v", tc.key, tc.value, got, tc.want)
		}
	}
	if OthersOwnValue("XDG_CONFIG_HOME", "/etc/x", nobody, "/") {
		t.Error("a home of / makes every path the caller's own")
	}
}
