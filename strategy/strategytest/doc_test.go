//go:build linux

package strategytest

import (
	"os"
	"regexp"
	"testing"

	"github.com/daemonkit/daemonkit/strategy/reexec"
)

// TestDocNamesItsCommands: every hidden command the package doc quotes ("_fakedaemon", ...)
// is one Main answers to, so that a reader who looks for it in ps, or in a test's failure,
// finds what the doc calls it.
func TestDocNamesItsCommands(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{DaemonCommand: true, ChildCommand: true, LaunchCommand: true, reexec.Command: true}
	quoted := regexp.MustCompile(`"(_\w+)"`).FindAllStringSubmatch(string(doc), -1)
	if len(quoted) == 0 {
		t.Fatal("doc.go quotes no hidden command")
	}
	for _, q := range quoted {
		if !known[q[1]] {
			t.Errorf("doc.go quotes the hidden command %q, which Main does not answer to", q[1])
		}
	}
}
