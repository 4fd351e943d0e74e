//go:build linux

package strategytest

import (
	"os"
	"testing"

	"github.com/daemonkit/daemonkit/strategy/reexec"

	// The launching helper looks strategies up by name.
	_ "github.com/daemonkit/daemonkit/strategy/nohup"
	_ "github.com/daemonkit/daemonkit/strategy/setsid"
)

// Hidden commands of a test binary whose TestMain calls Main.
const (
	DaemonCommand = "_fakedaemon" // the fake daemon
	ChildCommand  = "_child"      // a process the fake daemon starts (-child)
	LaunchCommand = "_launch"     // a launching process (see LaunchFromTerminal)
)

// Main runs the test binary as the fake daemon, the re-exec intermediate or the launching
// helper when its first argument says so, and runs the tests otherwise.
func Main(m *testing.M) {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case DaemonCommand:
			os.Exit(runDaemon(os.Args[2:]))
		case ChildCommand:
			os.Exit(runChild())
		case reexec.Command:
			os.Exit(reexec.Continue(os.Args[2:]))
		case LaunchCommand:
			os.Exit(runLauncher(os.Args[2:]))
		}
	}
	os.Exit(m.Run())
}
