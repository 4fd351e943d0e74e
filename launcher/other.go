//go:build !linux

package strategy

import (
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
)

// Executable returns the path that runs this binary again (os.Executable).
func Executable() (string, error) {
	path, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("find this executable: %w", err)
	}
	return path, nil
}

// closeOnExecFrom3 marks every descriptor from 3 up close-on-exec: those /dev/fd lists, and
// every number up to the soft RLIMIT_NOFILE (bounded), since /dev/fd may list only 0-2
// (FreeBSD without fdescfs).
func closeOnExecFrom3() {
	_ = closeOnExecDir("/dev/fd")
	closeOnExecScan()
}

// enterSubreaper does nothing here: there are no child subreapers, so how a re-exec daemon
// died is unknown ("exited").
func enterSubreaper(hclog.Logger) (leave func()) { return func() {} }

// waitGroupGone cannot list a process group's members here; sweep's SIGKILL to the group
// is all there is.
func waitGroupGone(int, time.Duration) []int { return nil }

// reapOrphan cannot reap a process that is not this process's child.
func reapOrphan(int) (syscall.WaitStatus, bool) { return 0, false }
