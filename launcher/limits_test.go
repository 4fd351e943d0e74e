package launcher

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/daemonkit/daemonkit/internal/limits"
)

// TestExplainLimit: fork's EAGAIN is explained as limits.ExplainProcs explains it (the
// user's process limit, ulimit -u, or the system's), EMFILE names ulimit -n, ENFILE
// fs.file-max; each still wraps its errno, and any other error is left as it is.
func TestExplainLimit(t *testing.T) {
	old := realUID
	t.Cleanup(func() { realUID = old })
	eagain := &fs.PathError{Op: "fork/exec", Path: "/proc/self/exe", Err: syscall.EAGAIN}
	for _, uid := range []int{0, 1000} {
		realUID = func() int { return uid }
		if err, want := ExplainLimit(eagain), limits.ExplainProcs(eagain, uid); !errors.Is(err, syscall.EAGAIN) || err.Error() != want.Error() {
			t.Errorf("ExplainLimit(EAGAIN) as uid %d =\n%v\nwant\n%v", uid, err, want)
		}
	}

	err := ExplainLimit(fmt.Errorf("create handshake pipe: %w", os.NewSyscallError("pipe2", syscall.EMFILE)))
	if !errors.Is(err, syscall.EMFILE) || !strings.Contains(err.Error(), "pipe2: too many open files: the process has as many files open as its limit allows (ulimit -n, RLIMIT_NOFILE: ") {
		t.Errorf("ExplainLimit(EMFILE) = %v", err)
	}
	if err := ExplainLimit(syscall.ENFILE); !errors.Is(err, syscall.ENFILE) || !strings.Contains(err.Error(), "fs.file-max") {
		t.Errorf("ExplainLimit(ENFILE) = %v", err)
	}
	for _, other := range []error{nil, syscall.ENOENT, errors.New("chdir /nope: no such file or directory")} {
		if got := ExplainLimit(other); got != other {
			t.Errorf("ExplainLimit(%v) = %v; want it as it is", other, got)
		}
	}
}
