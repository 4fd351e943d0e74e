package reexec

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestDepsStayLow: the strategy, a plug-in that the launcher drives, does not import the
// launcher (nor what it brings: logfile, pidfile, storage), only what is below both: it
// once imported launcher for one explanation of EAGAIN, and its dependencies went from 3
// of this module's packages to 12.
func TestDepsStayLow(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to list the dependencies with")
	}
	out, err := exec.Command(goTool, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	var own []string
	for _, p := range strings.Fields(string(out)) {
		if strings.HasPrefix(p, "github.com/daemonkit/daemonkit/") {
			own = append(own, strings.TrimPrefix(p, "github.com/daemonkit/daemonkit/"))
		}
	}
	for _, above := range []string{"launcher", "logfile", "pidfile", "internal/storage"} {
		if slices.Contains(own, above) {
			t.Errorf("strategy/reexec depends on %s: %v", above, own)
		}
	}
}
