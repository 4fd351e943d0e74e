//go:build linux

package upgradetest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// serverArg is the first argument that makes this test binary the test server.
const serverArg = "upgradetest-server"

// daemonkitBin is the daemonkit binary under test, built once by TestMain.
var daemonkitBin string

// TestMain runs this binary as the test server when it is started as one (by daemonkit,
// as the supervised program); otherwise it builds daemonkit (with -race when the tests
// run with it, so the supervisor's own races show in its log) and runs the tests.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == serverArg {
		os.Exit(serverMain(os.Args[2:]))
	}
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	dir, err := os.MkdirTemp("", "upgradetest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "upgradetest:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	daemonkitBin = filepath.Join(dir, "daemonkit")
	args := []string{"build", "-o", daemonkitBin}
	if raceEnabled {
		args = append(args, "-race")
	}
	cmd := exec.Command("go", append(args, "github.com/daemonkit/daemonkit")...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "upgradetest: build daemonkit:", err)
		return 1
	}
	return m.Run()
}
