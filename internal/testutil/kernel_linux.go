package testutil

import (
	"fmt"
	"testing"

	"golang.org/x/sys/unix"
)

// LinuxAtLeast reports whether the running kernel's release is major.minor or later, for
// a test of what only such kernels do (it skips, saying so, where not).
func LinuxAtLeast(t testing.TB, major, minor int) bool {
	t.Helper()
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		t.Fatal(err)
	}
	release := unix.ByteSliceToString(u.Release[:])
	var maj, min int
	if _, err := fmt.Sscanf(release, "%d.%d", &maj, &min); err != nil {
		t.Fatalf("kernel release %q: %v", release, err)
	}
	return maj > major || maj == major && min >= minor
}
