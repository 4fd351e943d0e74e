package instance

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/daemonkit/daemonkit/internal/testutil"
)

// stubbornGroupDaemon starts a stand-in daemon that ignores SIGTERM, leads a process group
// of its own with a record that names it with a strategy (a detached daemon's: Stop kills
// its group by number), and has a child leading a group of its own, which it never reaps.
func stubbornGroupDaemon(t *testing.T, p Paths) *daemon {
	t.Helper()
	d := startDaemon(t, stubborn, p.PIDFile, false, "OWNGROUP=1")
	children := proc.Children(d.pid)
	if len(children) != 1 {
		t.Fatalf("stand-in daemon %d has children %v, want its one sleep", d.pid, children)
	}
	if child, err := proc.Open(children[0]); err == nil {
		t.Cleanup(func() { _ = child.Signal(syscall.SIGKILL); _ = child.Close() })
	}
	rec := Record{Name: p.Name, PID: d.pid, PIDFile: p.PIDFile, Strategy: "supervise", StartTime: StartTime(d.pid)}
	if err := WriteRecord(p.Record, rec); err != nil {
		t.Fatal(err)
	}
	return d
}

// setHook sets *v to f for the test.
func setHook[T any](t *testing.T, v *T, f T) {
	old := *v
	*v = f
	t.Cleanup(func() { *v = old })
}

// TestStopHaltsDaemonBeforeGroupKills: past the timeout, the groups that the daemon's
// children lead are read and killed by number only while the daemon is stopped (every
// thread of it), so that it cannot reap one of those children between the look and the
// kill and let a stranger take its number; and it is killed after, not left stopped.
func TestStopHaltsDaemonBeforeGroupKills(t *testing.T) {
	p := testPaths(t, "svc")
	d := stubbornGroupDaemon(t, p)
	called := false
	setHook(t, &beforeGroupKills, func(pid int, groups []int) {
		called = true
		if pid != d.pid {
			t.Errorf("group kills for pid %d, want the daemon %d", pid, d.pid)
		}
		if stopped, _ := proc.Halted(pid); !stopped {
			st, _ := proc.ReadStat(pid)
			t.Errorf("the daemon runs (state %c) as its children's groups %v are about to be killed by number: it may reap one first", st.State, groups)
		}
		if len(groups) == 0 {
			t.Errorf("no group of a child of the daemon listed: its killed child, a zombie it never reaps, leads one")
		}
		for _, g := range groups {
			if st, err := proc.ReadStat(g); err != nil || st.PPID != pid {
				t.Errorf("group %d: its leader is no longer the daemon's child (%+v, %v)", g, st, err)
			}
		}
	})
	res, err := Stop(stopCtx(t), p, StopOptions{Timeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if !called {
		t.Fatal("the daemon's groups were never killed by number")
	}
	if !res.Killed {
		t.Fatalf("Stop = %+v, want the stubborn daemon killed", res)
	}
	mustRunning(t, d.pid, false)
}

// TestStopKillsDaemonThatDoesNotHalt: a daemon that does not stop on SIGSTOP within
// haltWait (a thread in state D) has no group killed by number, and is killed all the
// same.
func TestStopKillsDaemonThatDoesNotHalt(t *testing.T) {
	p := testPaths(t, "svc")
	d := stubbornGroupDaemon(t, p)
	setHook(t, &isHalted, func(int) (bool, error) { return false, nil })
	setHook(t, &beforeGroupKills, func(pid int, groups []int) {
		t.Errorf("groups %v killed by number although the daemon %d was not seen stopped", groups, pid)
	})
	res, err := Stop(stopCtx(t), p, StopOptions{Timeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if !res.Killed {
		t.Fatalf("Stop = %+v, want the stubborn daemon killed", res)
	}
	mustRunning(t, d.pid, false)
}

// TestStopKillsGroupsWhereThreadsCannotBeRead: where a daemon's threads cannot be read (no
// /proc mounted in the stop's mount namespace, hidepid), the SIGSTOP it accepted is all
// there is to go by, as on a system without /proc: its groups are killed by number, as
// before the daemon was stopped first, not left running.
func TestStopKillsGroupsWhereThreadsCannotBeRead(t *testing.T) {
	p := testPaths(t, "svc")
	d := stubbornGroupDaemon(t, p)
	setHook(t, &isHalted, func(int) (bool, error) { return false, proc.ErrCannotTell })
	called := false
	setHook(t, &beforeGroupKills, func(int, []int) { called = true })
	res, err := Stop(stopCtx(t), p, StopOptions{Timeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if !called || !res.Killed {
		t.Fatalf("Stop = %+v, groups killed by number %v: want the daemon's groups killed, and it", res, called)
	}
	mustRunning(t, d.pid, false)
}

// TestStopHaltedDaemonKilledThoughCtxEnds: a stop whose ctx ends once it has stopped the
// daemon (SIGSTOP) still kills it: no daemon is left stopped, holding its pidfile.
func TestStopHaltedDaemonKilledThoughCtxEnds(t *testing.T) {
	p := testPaths(t, "svc")
	d := stubbornGroupDaemon(t, p)
	ctx, cancel := context.WithCancel(stopCtx(t))
	defer cancel()
	called := false
	setHook(t, &beforeGroupKills, func(int, []int) { called = true; cancel() })
	_, err := Stop(ctx, p, StopOptions{Timeout: 50 * time.Millisecond})
	if err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("Stop: %v, want it done or given up with ctx", err)
	}
	if !called {
		t.Fatal("the daemon was never stopped for its group kills: the test tests nothing")
	}
	testutil.WaitFor(t, "the daemon to be gone, not left stopped", func() bool {
		st, err := proc.ReadStat(d.pid)
		return err != nil || st.Zombie()
	})
}

// TestStopHaltedDaemonKilledThoughInterrupted: a SIGINT to a process stopping a daemon (a
// program that embeds Stop and leaves SIGINT's default action, Ctrl-C) that comes once
// the daemon is stopped (SIGSTOP), past the timeout or by --signal KILL, is held off until
// it is killed: it is not left stopped, holding its pidfile and answering nothing. (A
// SIGINT held off is not delivered again after: see holdInterrupts.)
func TestStopHaltedDaemonKilledThoughInterrupted(t *testing.T) {
	for _, helper := range []string{"haltint", "killint"} {
		t.Run(helper, func(t *testing.T) {
			p := testPaths(t, "svc")
			d := stubbornGroupDaemon(t, p)
			h := testutil.Helper(t, helper, nil, "STATEDIR="+filepath.Dir(p.Record), "NAME="+p.Name)
			out, err := h.CombinedOutput()
			var exit *exec.ExitError
			if err != nil && !(errors.As(err, &exit) && exit.Sys().(syscall.WaitStatus).Signal() == syscall.SIGINT) {
				t.Errorf("the stop ended with %v (%s), want exit 0, or the SIGINT once the daemon was killed", err, out)
			}
			testutil.WaitFor(t, "the daemon to be gone, not left stopped", func() bool {
				st, err := proc.ReadStat(d.pid)
				return err != nil || st.Zombie()
			})
		})
	}
}
