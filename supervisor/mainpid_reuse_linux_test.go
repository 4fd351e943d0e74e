package supervisor

import (
	"bytes"
	"context"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/daemonkit/daemonkit/internal/testutil"
	"github.com/daemonkit/daemonkit/notify"
	"github.com/daemonkit/daemonkit/server"
)

// stoppedSleeper is a sleeper stopped (SIGSTOP): a signal sent to it then stays pending,
// in /proc/PID/status, from the moment it is sent, so that whether one reached it can be
// read at once, without waiting for an effect.
func stoppedSleeper(t *testing.T) int {
	t.Helper()
	pid := testutil.StartSleep(t).Process.Pid
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, "the sleeper stopped", func() bool {
		st, err := proc.ReadStat(pid)
		return err == nil && st.State == 'T'
	})
	return pid
}

// untouched fails t unless pid is still stopped and no signal is pending for it.
func untouched(t *testing.T, pid int, after string) {
	t.Helper()
	st, err := proc.ReadStat(pid)
	if err != nil || st.State != 'T' {
		t.Errorf("after %s: pid %d (not the named main process) is no longer stopped (%v, state %q): it was sent a signal", after, pid, err, st.State)
		return
	}
	for _, field := range []string{"SigPnd", "ShdPnd"} {
		mask, err := proc.SignalMask("/proc/"+strconv.Itoa(pid)+"/status", field)
		if err != nil {
			t.Fatal(err)
		}
		if mask != 0 {
			t.Errorf("after %s: pid %d (not the named main process) has signals %#x pending (%s): they were meant for the named main process", after, pid, mask, field)
		}
	}
}

// A MAINPID= is the process it named when it was accepted, not its pid: once that process
// has ended, the kernel may give its pid to another process below the supervisor (a worker
// of the program, a check's shell, a restart's child), which would pass a check that the
// pid descends from the supervisor. A forwarded signal, a reload and a stop meant for the
// named main process must not reach it. The seams stand for the kernel giving the pid to
// that other process.
func TestNamedMainsPidGivenToAnotherGetsNoSignal(t *testing.T) {
	oldKill, oldOpen, oldDescends := killPID, openProcess, descendsFrom
	t.Cleanup(func() { killPID, openProcess, descendsFrom = oldKill, oldOpen, oldDescends })
	killPID = func(int, syscall.Signal) error { return nil } // the copy's first process is not real

	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	var log bytes.Buffer
	r := &run{s: New(Config{ShutdownTimeout: time.Minute, StopSignal: syscall.SIGTERM, ReloadSignal: syscall.SIGHUP}, io.Discard),
		ctx: ctx, log: hclog.New(&hclog.LoggerOptions{Output: &log}), copies: map[int]*program{}}
	exited := make(chan syscall.WaitStatus, 1)
	p := &program{pid: 1<<22 + 1, exited: exited} // above PID_MAX_LIMIT: no process has it
	r.copies[p.pid] = p
	r.makeMain(p)

	named := testutil.StartSleep(t)
	r.note(p, notify.Message{PID: named.Process.Pid, MainPID: named.Process.Pid})
	if got := r.s.mainPID(); got != named.Process.Pid {
		t.Fatalf("main pid %d after MAINPID=%d, want it taken:\n%s", got, named.Process.Pid, &log)
	}
	// The named main process ends, and its pid goes to another process below the supervisor.
	_ = named.Process.Kill()
	_ = named.Wait()
	other := stoppedSleeper(t)
	given := func(pid int) int {
		if pid == named.Process.Pid {
			return other
		}
		return pid
	}
	openProcess = func(pid int) (*proc.Process, error) { return proc.Open(given(pid)) }
	descendsFrom = func(pid, ancestor int) bool { return proc.DescendsFrom(given(pid), ancestor) }

	if r.s.signal(syscall.SIGUSR2) {
		t.Error("a forwarded signal meant for the named main process, which has ended, reported sent")
	}
	untouched(t, other, "a forwarded signal")
	if err := r.s.Reload(context.Background()); err == nil || !strings.Contains(err.Error(), "has ended") {
		t.Errorf("reload once the named main process ended: %v, want it said to have ended", err)
	}
	untouched(t, other, "a reload")
	if r.s.sendReload() {
		t.Error("a reload meant for the named main process, which has ended, reported sent")
	}
	untouched(t, other, "a reload")
	exited <- 0 // the copy's first process ends of its stop signal
	cancel(server.Stopped{Signal: syscall.SIGTERM})
	r.stopAll(p)
	untouched(t, other, "a stop")
}

// openFDs counts this process's open descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// The handle on a named main process is held while its copy runs, one at a time: a
// MAINPID= said again keeps it, one naming another process replaces it (the first closed),
// the copy's end closes it, and one read after that end, or once a stop has begun, is not
// taken. A supervisor that restarts a program for months must not gain a descriptor a run.
func TestNamedMainHandlesClosed(t *testing.T) {
	first, second := testutil.StartSleep(t).Process.Pid, testutil.StartSleep(t).Process.Pid
	var log bytes.Buffer
	newRun := func(ctx context.Context) (*run, *program) {
		r := &run{s: New(Config{}, io.Discard), ctx: ctx, log: hclog.New(&hclog.LoggerOptions{Output: &log}), copies: map[int]*program{}}
		p := &program{pid: 1<<22 + 1, exited: make(chan syscall.WaitStatus, 1)} // no process has this pid
		r.copies[p.pid] = p
		r.makeMain(p)
		return r, p
	}
	before := openFDs(t)
	r, p := newRun(context.Background())
	for _, pid := range []int{first, first, second, second} {
		r.note(p, notify.Message{PID: pid, MainPID: pid})
		if got := r.s.mainPID(); got != pid {
			t.Fatalf("main pid %d after MAINPID=%d, want it taken:\n%s", got, pid, &log)
		}
		if n := openFDs(t); n != before+1 {
			t.Fatalf("%d descriptors open after MAINPID=%d, want %d (one handle, on the process named last)", n, pid, before+1)
		}
	}
	r.forget(p)
	r.s.noMain()
	r.note(p, notify.Message{PID: first, MainPID: first}) // read after the copy ended
	if n := openFDs(t); n != before {
		t.Fatalf("%d descriptors open once the copy ended, want %d: its named main process's handle leaked", n, before)
	}

	ctx, cancel := context.WithCancelCause(context.Background())
	r, p = newRun(ctx)
	cancel(server.Stopped{Signal: syscall.SIGTERM})
	r.note(p, notify.Message{PID: first, MainPID: first})
	if got := r.s.mainPID(); got != p.pid {
		t.Errorf("main pid %d after a MAINPID= read once the stop began, want the copy's first (%d)", got, p.pid)
	}
	if n := openFDs(t); n != before {
		t.Errorf("%d descriptors open after a MAINPID= read once the stop began, want %d", n, before)
	}
}

// A MAINPID= that names the supervisor itself (a program's $PPID) is refused, as systemd
// refuses its own pid: the supervisor would send itself its reload's HUP, take that for a
// reload, and send it again, for ever, and wait for itself at a stop.
func TestMainPIDOfTheSupervisorRefused(t *testing.T) {
	var log bytes.Buffer
	r := &run{s: New(Config{}, io.Discard), ctx: context.Background(), log: hclog.New(&hclog.LoggerOptions{Output: &log}), copies: map[int]*program{}}
	p := &program{pid: 1<<22 + 1, exited: make(chan syscall.WaitStatus, 1)} // no process has this pid
	r.copies[p.pid] = p
	r.makeMain(p)
	before := openFDs(t)
	r.note(p, notify.Message{PID: p.pid, MainPID: os.Getpid()})
	if got := r.s.mainPID(); got != p.pid {
		t.Errorf("main pid %d after MAINPID= named the supervisor (%d), want the copy's first (%d)", got, os.Getpid(), p.pid)
	}
	if !strings.Contains(log.String(), "ignored MAINPID: it names the supervisor itself") {
		t.Errorf("log %q, want the MAINPID said to be ignored", &log)
	}
	if n := openFDs(t); n != before {
		t.Errorf("%d descriptors open after a MAINPID= refused, want %d", n, before)
	}
	r.forget(p)
}

// A drain, a stop before ready or the kill of a failed copy signals the main process the
// copy named and waits for it through its handle: a MAINPID= the copy sends meanwhile is
// not taken, which would close that handle under the wait (and cut the drain short).
func TestMainPIDNotTakenOnceFrozen(t *testing.T) {
	first, second := testutil.StartSleep(t).Process.Pid, testutil.StartSleep(t).Process.Pid
	var log bytes.Buffer
	r := &run{s: New(Config{}, io.Discard), ctx: context.Background(), log: hclog.New(&hclog.LoggerOptions{Output: &log}), copies: map[int]*program{}}
	p := &program{pid: 1<<22 + 1, exited: make(chan syscall.WaitStatus, 1)} // no process has this pid
	r.copies[p.pid] = p
	r.note(p, notify.Message{PID: first, MainPID: first})
	h := r.s.freezeMain(p)
	if h == nil || h.PID() != first {
		t.Fatalf("freezeMain = %v, want the handle on pid %d:\n%s", h, first, &log)
	}
	r.note(p, notify.Message{PID: second, MainPID: second})
	if err := h.Signal(0); err != nil {
		t.Errorf("the handle a drain waits on, after a MAINPID= sent during the drain: %v, want it open", err)
	}
	if got := r.s.freezeMain(p); got != h {
		t.Errorf("the copy's main process after a MAINPID= sent during the drain: %v, want pid %d's handle", got, first)
	}
	r.forget(p)
}
