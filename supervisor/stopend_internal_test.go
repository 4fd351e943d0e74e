package supervisor

import (
	"bytes"
	"context"
	"io"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/daemonkit/daemonkit/internal/chans"
	"github.com/daemonkit/daemonkit/internal/testutil"
	"github.com/daemonkit/daemonkit/server"
	"github.com/hashicorp/go-hclog"
)

// stoppingRun is a run whose stop has begun (SIGTERM), with ShutdownTimeout bound, its log
// in the buffer returned. Signals go nowhere.
func stoppingRun(t *testing.T, bound time.Duration) (*run, *bytes.Buffer) {
	t.Helper()
	old := killPID
	t.Cleanup(func() { killPID = old })
	killPID = func(int, syscall.Signal) error { return nil }
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(server.Stopped{Signal: syscall.SIGTERM})
	var log bytes.Buffer
	r := &run{s: New(Config{ShutdownTimeout: bound, StopSignal: syscall.SIGTERM}, io.Discard), ctx: ctx,
		log: hclog.New(&hclog.LoggerOptions{Output: &log}), copies: map[int]*program{}}
	return r, &log
}

// A program that ended of its stop signal as ShutdownTimeout passed, both found by a
// supervisor late to look (a loaded machine), stopped in time: select picks either at
// random, and the deadline's pick logged that it did not stop in time and killed the
// instance for a program that had stopped.
func TestStopAllEndedAsItsDeadlinePassed(t *testing.T) {
	const bound = time.Millisecond
	t.Cleanup(func() { testHookBeforeStopSelect = nil })
	testHookBeforeStopSelect = func(exited <-chan syscall.WaitStatus, drained <-chan struct{}) {
		set := time.Now() // the deadline was set before
		testutil.WaitFor(t, "the end, the drain, and the deadline passed", func() bool {
			return len(exited) > 0 && closed(drained) && time.Since(set) > bound
		})
	}
	for i := range 40 {
		r, log := stoppingRun(t, bound)
		exited := make(chan syscall.WaitStatus, 1)
		exited <- syscall.WaitStatus(3 << 8) // it ended of its stop signal, exit 3
		ws := r.stopAll(&program{exited: exited})
		if ws.ExitStatus() != 3 {
			t.Fatalf("try %d: stopAll = %s, want exit 3", i, describe(ws))
		}
		if strings.Contains(log.String(), "in time") {
			t.Fatalf("try %d: a program that stopped was said late:\n%s", i, log)
		}
	}
}

// A copy that a stop overtook before it was ready, and that ended of its stop signal as
// ShutdownTimeout passed (both found late), stopped: it is not said not to have stopped in
// time, and its end is kept for killCopy.
func TestStopEarlyEndedAsItsDeadlinePassed(t *testing.T) {
	const bound = time.Millisecond
	t.Cleanup(func() { testHookBeforeStopSelect = nil })
	var end chan syscall.WaitStatus
	testHookBeforeStopSelect = func(<-chan syscall.WaitStatus, <-chan struct{}) {
		set := time.Now()                 // the deadline was set before
		end <- syscall.WaitStatus(3 << 8) // it ends of its stop signal, exit 3, as the deadline passes
		testutil.WaitFor(t, "the deadline passed", func() bool { return time.Since(set) > bound })
	}
	for i := range 40 {
		r, log := stoppingRun(t, bound)
		end = make(chan syscall.WaitStatus, 1)
		// No process has this pid: above the kernel's PID_MAX_LIMIT.
		p := &program{pid: 1<<22 + 1, exited: end}
		r.stopEarly(p)
		if strings.Contains(log.String(), "in time") || !strings.Contains(log.String(), "the program stopped") {
			t.Fatalf("try %d: a copy that stopped was said late:\n%s", i, log)
		}
		if ws, ok := <-p.exited; !ok || ws.ExitStatus() != 3 {
			t.Fatalf("try %d: its end %s, %v: want exit 3 kept", i, describe(ws), ok)
		}
	}
}

// An upgrade asked as the stop began, both found by the loop (select picks either at
// random), is told the instance is stopping: the loop must not take it, which starts a new
// copy of the program (its start-up work, a new version's migrations) in the middle of the
// stop, and holds the stop up while that copy is killed.
func TestUpgradeAskedAsTheStopBegan(t *testing.T) {
	for i := range 40 {
		r, _ := stoppingRun(t, time.Minute)
		r.upgrades = make(chan upgradeRequest, 1)
		reply := make(chan UpgradeResult, 1)
		r.upgrades <- upgradeRequest{reply: reply} // asked before the loop looked
		exited := make(chan syscall.WaitStatus, 1)
		exited <- 0 // it ends of its stop signal
		// No process has this pid: above the kernel's PID_MAX_LIMIT.
		r.wait(&program{pid: 1<<22 + 1, exited: exited})
		if res, answered := chans.Came(reply); answered && !res.Stopping {
			t.Fatalf("try %d: the upgrade asked as the stop began was taken: %+v", i, res)
		}
	}
}

// A back-off between restarts that ended as the stop began, both found by the loop (select
// picks either at random), ends in the stop: the restart must not start a new copy of the
// program in the middle of the stop.
func TestBackOffOverAsTheStopBegan(t *testing.T) {
	for i := range 40 {
		r, _ := stoppingRun(t, time.Minute)
		if stopped := r.backOff(0); !stopped { // over at once, the stop begun before
			t.Fatalf("try %d: the back-off said no stop: the restart would start a copy during the stop", i)
		}
	}
}

// Old copies that drained as the bound of a stop between restarts passed (both found late)
// drained in time: they are not said not to have.
func TestAwaitDrainingDoneAsItsBoundPassed(t *testing.T) {
	const bound = time.Millisecond
	t.Cleanup(func() { testHookBeforeStopSelect = nil })
	testHookBeforeStopSelect = func(_ <-chan syscall.WaitStatus, drained <-chan struct{}) {
		set := time.Now() // the bound was set before
		testutil.WaitFor(t, "drained, and the bound passed", func() bool { return closed(drained) && time.Since(set) > bound })
	}
	for i := range 40 {
		r, log := stoppingRun(t, bound)
		r.awaitDraining(bound)
		if strings.Contains(log.String(), "in time") {
			t.Fatalf("try %d: copies that drained were said late:\n%s", i, log)
		}
	}
}
