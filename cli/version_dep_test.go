package cli

import (
	"runtime/debug"
	"testing"
)

// TestDepVersion: a dependency that a replace directive swapped for a local directory or
// another module says so, as go version -m does, rather than pass for the version go.mod
// names.
func TestDepVersion(t *testing.T) {
	for _, tc := range []struct {
		dep  debug.Module
		want string
	}{
		{debug.Module{Version: "v1.2.0"}, "v1.2.0"},
		{debug.Module{Version: "v0.0.0", Replace: &debug.Module{Path: "../daemonkit", Version: "(devel)"}}, "v0.0.0 => ../daemonkit (devel)"},
		{debug.Module{Version: "v0.0.0", Replace: &debug.Module{Path: "../daemonkit"}}, "v0.0.0 => ../daemonkit"},
		{debug.Module{Version: "v1.2.0", Replace: &debug.Module{Path: "example.com/fork/daemonkit", Version: "v1.2.1"}}, "v1.2.0 => example.com/fork/daemonkit v1.2.1"},
	} {
		if got := depVersion(&tc.dep); got != tc.want {
			t.Errorf("depVersion(%+v) = %q, want %q", tc.dep, got, tc.want)
		}
	}
}
