package supervisor

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
)

// A program that daemonizes itself (--ready pidfile:) whose first process exited 0 as the
// ready timeout passed, both found by a supervisor late to look (a loaded machine), is not
// said to have a first process that did not exit (select picks either at random): the
// daemon it left in the pidfile is adopted.
func TestForkedFirstExitedAsItsTimeoutPassed(t *testing.T) {
	rp := newReaper(nil)
	defer rp.close()
	daemon, daemonExited, err := rp.start("/bin/sh", []string{"sh", "-c", "exec sleep 60"}, &os.ProcAttr{Files: []*os.File{nil, nil, nil}})
	if err != nil {
		t.Fatal(err)
	}
	defer rp.kill(daemon, daemonExited, syscall.SIGKILL)
	path := filepath.Join(t.TempDir(), "daemon.pid")
	if err := os.WriteFile(path, []byte(strconv.Itoa(daemon)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for i := range 40 {
		r := &run{s: New(Config{Ready: Readiness{Kind: "pidfile", Target: path}}, io.Discard), ctx: context.Background(),
			log: hclog.NewNullLogger(), reaper: rp, copies: map[int]*program{}}
		exited := make(chan syscall.WaitStatus, 1)
		exited <- 0 // its first process exited 0, having forked the daemon
		timeout := make(chan time.Time, 1)
		timeout <- time.Now() // and the ready timeout passed
		// No process has this pid: above the kernel's PID_MAX_LIMIT.
		p := &program{pid: 1<<22 + 1, exited: exited}
		if err := r.awaitForked(p, timeout); err != nil || p.pid != daemon {
			t.Fatalf("try %d: awaitForked = %v, the program's pid %d: want the daemon (pid %d) adopted", i, err, p.pid, daemon)
		}
	}
}
