package supervisor

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/daemonkit/daemonkit/internal/openfiles"
)

// TestUpgradeErrorNofile checks the advice an upgrade refused by the supervisor's limit on
// open files gives: prlimit on the running supervisor, or a stop and a start with a higher limit.
// It used to be "raise ulimit -n in the shell that starts daemonkit", which a supervisor
// that runs already never takes, nor the copies it starts.
func TestUpgradeErrorNofile(t *testing.T) {
	refused := fmt.Errorf("start /bin/prog: %w", openfiles.Explain(&os.PathError{Op: "fork/exec", Path: "/bin/prog", Err: syscall.EMFILE}, ", or, for the program, --limit-nofile"))
	msg := upgradeError(refused, 42)
	for _, want := range []string{"start /bin/prog: fork/exec /bin/prog: too many open files: the supervisor (pid 42) has as many files open", "prlimit --pid 42 --nofile=", "stop the instance and start it again from a shell with a higher ulimit -n"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error = %q\nwant it to say %q", msg, want)
		}
	}
	for _, wrong := range []string{"in the shell that starts daemonkit", "--limit-nofile"} {
		if strings.Contains(msg, wrong) {
			t.Errorf("error = %q\nsays %q, which a running supervisor does not take", msg, wrong)
		}
	}
	if other := upgradeError(fmt.Errorf("start /bin/prog: %w", syscall.ENOENT), 42); other != "start /bin/prog: no such file or directory" {
		t.Errorf("error = %q, want it as it is", other)
	}
}

// TestNofileAdviceKeepsHardLimit: the prlimit an upgrade at the open-files limit suggests
// never lowers the supervisor's hard limit (a soft limit of 64 under a hard one of
// 1048576 once gave --nofile=4096:4096, which only root undoes), and asks for root only
// past the hard limit.
func TestNofileAdviceKeepsHardLimit(t *testing.T) {
	for _, c := range []struct {
		rl       unix.Rlimit
		want     string
		wantRoot bool
	}{
		{unix.Rlimit{Cur: 64, Max: 1048576}, "--nofile=4096:1048576'", false},
		{unix.Rlimit{Cur: 64, Max: 64}, "--nofile=4096:4096'", true},
		{unix.Rlimit{Cur: 2048, Max: 4096}, "--nofile=8192:8192'", true},
		{unix.Rlimit{Cur: 64, Max: unix.RLIM_INFINITY}, "--nofile=4096:unlimited'", false},
		{unix.Rlimit{}, "--nofile=4096:4096'", true},
	} {
		msg := nofileAdvice(42, c.rl)
		if !strings.Contains(msg, "prlimit --pid 42 "+c.want) {
			t.Errorf("limit %+v: advice %q\nwant %q", c.rl, msg, c.want)
		}
		if root := strings.Contains(msg, "as root"); root != c.wantRoot {
			t.Errorf("limit %+v: advice %q\nsays 'as root': %v, want %v", c.rl, msg, root, c.wantRoot)
		}
	}
}
