package supervisor

import (
	"testing"

	"github.com/daemonkit/daemonkit/internal/testutil"
)

// The test binary doubles as the small programs of the tests' own (testutil.Main).
func TestMain(m *testing.M) {
	testutil.Main(m, helpers)
}

// helpers are the programs the test binary plays, by name; a test file for one system
// adds its own in an init.
var helpers = map[string]func() int{}
