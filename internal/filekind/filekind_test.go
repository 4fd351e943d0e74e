package filekind

import (
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestFix: only what holds nothing and serves nobody is to be removed: a symbolic link or
// a FIFO. A socket is a listening program's address (a --log of /dev/log, syslog's), a
// directory or a device is never removed: those are told to give another path.
func TestFix(t *testing.T) {
	for _, c := range []struct {
		mode   uint32
		remove bool
	}{
		{unix.S_IFLNK, true},
		{unix.S_IFIFO, true},
		{unix.S_IFSOCK, false},
		{unix.S_IFDIR, false},
		{unix.S_IFCHR, false},
		{unix.S_IFBLK, false},
	} {
		fix := Fix(c.mode, "--log")
		if got := strings.Contains(fix, "remove"); got != c.remove {
			t.Errorf("Fix(%s) = %q: says to remove it: %v, want %v", Of(c.mode), fix, got, c.remove)
		}
		if !strings.Contains(fix, "--log") {
			t.Errorf("Fix(%s) = %q: names no --log", Of(c.mode), fix)
		}
	}
}
