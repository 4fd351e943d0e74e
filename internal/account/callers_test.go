package account

import "testing"

// TestCallersOwnValue: what names the caller's home or runtime directory, and any ssh agent,
// is the caller's own; a value set on purpose elsewhere, or another user's runtime
// directory, is not.
func TestCallersOwnValue(t *testing.T) {
	for _, tc := range []struct {
		key, value string
		want       bool
	}{
		{"XDG_RUNTIME_DIR", "/run/user/0", true},
		{"XDG_RUNTIME_DIR", "/run/user/65534", false},
		{"XDG_RUNTIME_DIR", "/run/user/00", false},
		{"DBUS_SESSION_BUS_ADDRESS", "unix:path=/run/user/0/bus", true},
		{"DBUS_SESSION_BUS_ADDRESS", "unix:path=/run/dbus/system_bus_socket", false},
		{"XAUTHORITY", "/root/.Xauthority", true},
		{"XAUTHORITY", "/rooted/.Xauthority", false},
		{"XDG_CONFIG_HOME", "/root/.config", true},
		{"XDG_CONFIG_HOME", "/srv/app/conf", false},
		{"XDG_CACHE_HOME", "/root", true},
		{"SSH_AUTH_SOCK", "/tmp/ssh-abc/agent.1", true},
	} {
		if got := CallersOwnValue(tc.key, tc.value, 0, "/root/"); got != tc.want {
			t.Errorf("CallersOwnValue(%s, %q) = %v, want %v", tc.key, tc.value, got, tc.want)
		}
	}
	if CallersOwnValue("XDG_CONFIG_HOME", "/etc/x", 0, "/") {
		t.Error("a home of / makes every path the caller's own")
	}
}
