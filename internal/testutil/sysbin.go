package testutil

import (
	"os"
	"testing"

	"github.com/daemonkit/daemonkit/internal/sysbin"
)

// ProgramsIn makes dir the one place the system's programs (getent, cat: sysbin.Find) are
// found, for the rest of t: the only directory searched for root, which does not search
// PATH, and the first on PATH for another user. A test puts fakes there, or nothing.
func ProgramsIn(t testing.TB, dir string) {
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	was := sysbin.Dirs
	sysbin.Dirs = []string{dir}
	t.Cleanup(func() { sysbin.Dirs = was })
}
