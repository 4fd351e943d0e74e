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
	first, daemon, path := forkingRun(t)
	if err := os.WriteFile(path, []byte(strconv.Itoa(daemon)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for i := range 40 {
		r := &run{s: first.s, ctx: first.ctx, log: first.log, reaper: first.reaper, copies: map[int]*program{}}
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

// lookedLast arranges, for awaitForked's and awaitMove's polls, that PATH is written
// right after the last look before the deadline (the poll itself never comes again), by
// write, which is called before the first wait; timeout, if set, passes then.
func lookedLast(t *testing.T, write func(), timeout chan<- time.Time) {
	t.Helper()
	poll := forkedPoll
	forkedPoll = time.Hour // only the deadline ends a wait
	once := false
	testHookBeforePollSelect = func() {
		if once {
			return
		}
		once = true
		write()
		if timeout != nil {
			timeout <- time.Now()
		}
	}
	t.Cleanup(func() { forkedPoll, testHookBeforePollSelect = poll, nil })
}

// A daemon that a program (--ready pidfile:) names in its pidfile within the last poll
// before the ready timeout, after the supervisor's last look, is adopted: one more look
// is had once the time is up, not a start that failed with its daemon running.
func TestForkedNamedWithinTheLastPoll(t *testing.T) {
	r, daemon, path := forkingRun(t)
	timeout := make(chan time.Time, 1)
	lookedLast(t, func() {
		if err := os.WriteFile(path, []byte(strconv.Itoa(daemon)+"\n"), 0o644); err != nil {
			t.Error(err)
		}
	}, timeout)
	exited := make(chan syscall.WaitStatus, 1)
	exited <- 0 // its first process exited 0, having forked the daemon
	p := &program{pid: 1<<22 + 1, exited: exited}
	if err := r.awaitForked(p, timeout); err != nil || p.pid != daemon {
		t.Fatalf("awaitForked = %v, the program's pid %d: want the daemon (pid %d) adopted", err, p.pid, daemon)
	}
}

// A daemon that moved (sshd re-executing at SIGHUP) and names its new process in its
// pidfile within the last poll before the wait's end, after the supervisor's last look,
// is followed: one more look is had once the time is up, not a program said to have ended.
func TestMoveNamedWithinTheLastPoll(t *testing.T) {
	r, daemon, path := forkingRun(t)
	lookedLast(t, func() {
		if err := os.WriteFile(path, []byte(strconv.Itoa(daemon)+"\n"), 0o644); err != nil {
			t.Error(err)
		}
	}, nil)
	p := &program{pid: 1<<22 + 1} // the process that exited 0, moving
	// A nanosecond: the time is up once the first wait begins, after the write.
	if pid := r.awaitMove(p, path, time.Nanosecond); pid != daemon {
		t.Fatalf("awaitMove = %d: want the new daemon (pid %d)", pid, daemon)
	}
}

// forkingRun is a run of a program that daemonizes itself (--ready pidfile:path), with a
// reaper of its own, and a daemon, a child of the reaper's, for the program's first process
// to name in path: the tests of awaitForked and awaitMove adopt it. It is killed by its pid
// when the test ends: adopted, the reaper waits for it under the adoption's registration,
// not the one its start gave, and rp.kill with that one would send nothing.
func forkingRun(t *testing.T) (r *run, daemon int, path string) {
	rp := newReaper(nil)
	t.Cleanup(rp.close)
	daemon, _, err := rp.start("/bin/sh", []string{"sh", "-c", "exec sleep 60"}, &os.ProcAttr{Files: []*os.File{nil, nil, nil}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(daemon, syscall.SIGKILL) })
	path = filepath.Join(t.TempDir(), "daemon.pid")
	r = &run{s: New(Config{Ready: Readiness{Kind: "pidfile", Target: path}}, io.Discard), ctx: context.Background(),
		log: hclog.NewNullLogger(), reaper: rp, copies: map[int]*program{}}
	return r, daemon, path
}
