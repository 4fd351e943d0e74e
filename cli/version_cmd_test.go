package cli

import (
	"runtime/debug"
	"testing"
)

// TestBuildFrom checks what a record says of a build without a release version: its VCS
// revision, shortened, and whether its tree was modified, else the module's version, else
// "dev" alone.
func TestBuildFrom(t *testing.T) {
	rev := []debug.BuildSetting{{Key: "vcs.revision", Value: "38f773c0a1b2c3d4e5f60718293a4b5c6d7e8f90"}}
	for _, tc := range []struct {
		info *debug.BuildInfo
		want string
	}{
		{&debug.BuildInfo{Settings: rev}, "dev (revision 38f773c0a1b2)"},
		{&debug.BuildInfo{Settings: append(rev, debug.BuildSetting{Key: "vcs.modified", Value: "true"})}, "dev (revision 38f773c0a1b2, modified)"},
		{&debug.BuildInfo{Settings: append(rev, debug.BuildSetting{Key: "vcs.modified", Value: "false"})}, "dev (revision 38f773c0a1b2)"},
		{&debug.BuildInfo{Main: debug.Module{Version: "v1.2.0"}}, "dev (module v1.2.0)"},
		{&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "dev"},
		{&debug.BuildInfo{}, "dev"},
	} {
		if got := buildFrom("dev", tc.info); got != tc.want {
			t.Errorf("buildFrom(dev, %+v) = %q, want %q", tc.info, got, tc.want)
		}
	}
	if got := buildOf(Config{Version: "v1.4.0"}); got != "v1.4.0" {
		t.Errorf("buildOf of a release version = %q, want it as it is", got)
	}
}
