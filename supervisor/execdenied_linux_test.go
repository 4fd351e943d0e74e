package supervisor

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/daemonkit/daemonkit/internal/testutil"
)

// TestDeniedWhyNoexec: a file on a file system mounted noexec is said to be.
func TestDeniedWhyNoexec(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a file system")
	}
	mnt := filepath.Join(testutil.ReachableTempDir(t), "noexec")
	if err := os.Mkdir(mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount("tmpfs", mnt, "tmpfs", unix.MS_NOEXEC|unix.MS_NOSUID|unix.MS_NODEV, "size=1m,mode=0755"); err != nil {
		t.Skipf("mount a noexec tmpfs: %v", err)
	}
	defer unix.Unmount(mnt, unix.MNT_DETACH)
	prog := filepath.Join(mnt, "prog")
	if err := os.WriteFile(prog, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got := deniedWhy(prog, nil); !strings.Contains(got, "mounted noexec") {
		t.Errorf("deniedWhy(a file on a noexec tmpfs) = %q, want it said", got)
	}
}
