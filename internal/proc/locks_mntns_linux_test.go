package proc

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/daemonkit/daemonkit/internal/testutil"
	"golang.org/x/sys/unix"
)

func init() { helpers["lockdeleted"] = lockDeletedInOwnMounts }

// lockDeletedInOwnMounts, a helper, mounts a tmpfs at $DIR in the mount namespace it was
// started in, its own, locks $DIR/st/a.pid there, deletes st, says "ready", and holds the
// lock until its stdin ends.
func lockDeletedInOwnMounts() int {
	dir := os.Getenv("DIR")
	path := filepath.Join(dir, "st", "a.pid")
	f, err := func() (*os.File, error) {
		if err := unix.Mount("none", dir, "tmpfs", 0, ""); err != nil {
			return nil, err
		}
		if err := os.Mkdir(filepath.Dir(path), 0o755); err != nil {
			return nil, err
		}
		f, err := lockFile(path, unix.Flock_t{}, ownPID)
		if err != nil {
			return nil, err
		}
		return f, os.RemoveAll(filepath.Dir(path))
	}()
	if err != nil {
		fmt.Println("skip:", err)
		return 0
	}
	defer f.Close()
	fmt.Println("ready")
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
	return 0
}

// TestDeletedLockHolderNotOtherMounts: a process in another mount namespace that holds
// the lock of a deleted file at the same path, a file this namespace never had there (its
// own tmpfs), is not found: status said another namespace's daemon (a container's, a
// service's with PrivateTmp) ran as this instance, start refused, and stop killed it.
func TestDeletedLockHolderNotOtherMounts(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("a mount namespace of its own needs root")
	}
	dir := t.TempDir()
	helper := testutil.Helper(t, "lockdeleted", nil, "DIR="+dir)
	helper.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS}
	pid, line, _, err := runLockHolder(t, helper)
	if err != nil {
		t.Skipf("cannot start a helper in a mount namespace of its own: %v", err)
	}
	if line != "ready" {
		t.Skipf("helper: %q", line)
	}
	if got := DeletedLockHolder(filepath.Join(dir, "st", "a.pid")); got != 0 {
		t.Errorf("DeletedLockHolder = %d (the helper, %d, in another mount namespace), want 0", got, pid)
	}
}
