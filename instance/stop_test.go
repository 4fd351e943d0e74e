package instance

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/daemonkit/daemonkit/internal/testutil"
	"github.com/daemonkit/daemonkit/pidfile"
)

func stopCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testutil.Deadline)
	t.Cleanup(cancel)
	return ctx
}

func TestStopRunning(t *testing.T) {
	p := testPaths(t, "svc")
	d := startDaemon(t, graceful, p.PIDFile, false)
	if err := WriteRecord(p.Record, Record{Name: p.Name, PID: d.pid}); err != nil {
		t.Fatal(err)
	}
	res, err := Stop(stopCtx(t), p, StopOptions{Timeout: testutil.Deadline})
	if err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if !res.WasRunning || res.PID != d.pid || res.Killed || res.RemovedStale {
		t.Fatalf("Stop = %+v, want running pid %d stopped gracefully", res, d.pid)
	}
	mustRunning(t, d.pid, false)
	mustAbsent(t, p.PIDFile)
	mustStopped(t, p.Record, "")
}

func TestStopAbsent(t *testing.T) {
	p := testPaths(t, "svc")
	res, err := Stop(stopCtx(t), p, StopOptions{})
	if err != nil || !reflect.DeepEqual(res, StopResult{}) {
		t.Fatalf("Stop = %+v, %v; want nothing running, no error", res, err)
	}
}

func TestStopStale(t *testing.T) {
	p := testPaths(t, "svc")
	d := startDaemon(t, graceful, p.PIDFile, false)
	if err := syscall.Kill(d.pid, syscall.SIGKILL); err != nil { // our child, not reaped yet: the pid is its own
		t.Fatal(err)
	}
	testutil.WaitFor(t, "the killed daemon's lock to go", func() bool {
		st, err := pidfile.Probe(p.PIDFile)
		return err == nil && st.State == pidfile.Stale
	})
	if err := WriteRecord(p.Record, Record{Name: p.Name, PID: d.pid}); err != nil {
		t.Fatal(err)
	}
	res, err := Stop(stopCtx(t), p, StopOptions{})
	if err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if res.WasRunning || !res.RemovedStale {
		t.Fatalf("Stop = %+v, want not running, stale pidfile removed", res)
	}
	mustAbsent(t, p.PIDFile)
	mustStopped(t, p.Record, gone)
}

// TestStopNeverSignalsFileContent: a pidfile nobody holds names a live, unrelated process.
func TestStopNeverSignalsFileContent(t *testing.T) {
	p := testPaths(t, "svc")
	victim := startSleep(t)
	if err := os.WriteFile(p.PIDFile, fmt.Appendf(nil, "%d\n", victim), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Stop(stopCtx(t), p, StopOptions{Timeout: time.Millisecond})
	if err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if res.WasRunning || !res.RemovedStale {
		t.Fatalf("Stop = %+v, want not running, stale pidfile removed", res)
	}
	mustRunning(t, victim, true)
	mustAbsent(t, p.PIDFile)

	if pid, err := Signal(p, syscall.SIGTERM); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("Signal(absent) = %d, %v; want ErrNotRunning", pid, err)
	}
}

// TestStopTargetsLockHolder: the holder's pidfile was overwritten to name another process;
// its record (every daemon writes one) proves the holder the daemon, and it is stopped.
// (TestUnprovenHolderIsNotSignalled: without one, nothing is signalled.)
func TestStopTargetsLockHolder(t *testing.T) {
	p := testPaths(t, "svc")
	d := startDaemon(t, graceful, p.PIDFile, false)
	if err := WriteRecord(p.Record, Record{Name: p.Name, PIDFile: p.PIDFile, PID: d.pid, StartTime: StartTime(d.pid)}); err != nil {
		t.Fatal(err)
	}
	victim := startSleep(t)
	if err := os.WriteFile(p.PIDFile, fmt.Appendf(nil, "%d\n", victim), 0o644); err != nil {
		t.Fatal(err)
	}
	if st := mustState(t, p, pidfile.Running); !st.Mismatch() || st.PID != d.pid {
		t.Fatalf("probe = %+v, want holder %d with a mismatching file", st, d.pid)
	}
	res, err := Stop(stopCtx(t), p, StopOptions{Timeout: testutil.Deadline})
	if err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if !res.WasRunning || res.PID != d.pid || res.Killed {
		t.Fatalf("Stop = %+v, want holder %d stopped", res, d.pid)
	}
	mustRunning(t, d.pid, false)
	mustRunning(t, victim, true)
	mustAbsent(t, p.PIDFile)
}

func TestStopEscalatesToKill(t *testing.T) {
	p := testPaths(t, "svc")
	d := startDaemon(t, stubborn, p.PIDFile, false)
	if err := WriteRecord(p.Record, Record{Name: p.Name, PID: d.pid}); err != nil {
		t.Fatal(err)
	}
	res, err := Stop(stopCtx(t), p, StopOptions{Timeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if !res.WasRunning || res.PID != d.pid || !res.Killed || !res.RemovedStale {
		t.Fatalf("Stop = %+v, want pid %d killed and its pidfile removed", res, d.pid)
	}
	if l := d.line(t); l != "term" {
		t.Fatalf("daemon said %q, want it to have seen SIGTERM first", l)
	}
	mustRunning(t, d.pid, false)
	mustAbsent(t, p.PIDFile)
	mustStopped(t, p.Record, "killed by signal 9 (SIGKILL): stop's --timeout passed")
}

// A daemon that wrote its record before Stop looked after the signal (a daemon still
// starting writes it as it begins to drain, and a stop may be descheduled right after its
// signal) is given its Drain all the same, not only the Timeout read before the signal.
func TestStopWaitsDrainOfRecordWrittenFirst(t *testing.T) {
	p := testPaths(t, "svc")
	d := startDaemon(t, stubborn, p.PIDFile, false)
	if err := WriteRecord(p.Record, Record{Name: p.Name, PID: d.pid, PIDFile: p.PIDFile}); err != nil {
		t.Fatal(err)
	}
	const drain = time.Second
	o := StopOptions{Timeout: 50 * time.Millisecond, Drain: func(Record) time.Duration { return drain }}
	res, err := Stop(stopCtx(t), p, o)
	if err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if !res.Killed || res.Elapsed < drain {
		t.Fatalf("Stop = %+v, want the stubborn daemon killed only after its drain of %s", res, drain)
	}
}

func TestStopNoKill(t *testing.T) {
	p := testPaths(t, "svc")
	d := startDaemon(t, stubborn, p.PIDFile, false)
	res, err := Stop(stopCtx(t), p, StopOptions{Timeout: 50 * time.Millisecond, NoKill: true})
	if !errors.Is(err, ErrStillRunning) {
		t.Fatalf("Stop = %+v, %v; want ErrStillRunning", res, err)
	}
	if !res.WasRunning || res.PID != d.pid || res.Killed {
		t.Fatalf("Stop = %+v, want pid %d signalled, not killed", res, d.pid)
	}
	mustRunning(t, d.pid, true)
	mustState(t, p, pidfile.Running)
}

func TestStopCtxEnds(t *testing.T) {
	p := testPaths(t, "svc")
	d := startDaemon(t, stubborn, p.PIDFile, false)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	res, err := Stop(ctx, p, StopOptions{}) // no timeout of its own: ctx decides
	if !errors.Is(err, ErrStillRunning) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Stop = %+v, %v; want ErrStillRunning and DeadlineExceeded", res, err)
	}
	if res.Killed {
		t.Fatalf("Stop = %+v: killed although the caller gave up", res)
	}
	mustRunning(t, d.pid, true)
}

// TestStopNonChild stops a daemon that is not our child: it is adopted by PID 1, which here
// leaves it a zombie once it exits. Stop must see it as gone.
func TestStopNonChild(t *testing.T) {
	p := testPaths(t, "svc")
	d := startDaemon(t, graceful, p.PIDFile, true)
	res, err := Stop(stopCtx(t), p, StopOptions{Timeout: testutil.Deadline})
	if err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if !res.WasRunning || res.PID != d.pid || res.Killed {
		t.Fatalf("Stop = %+v, want pid %d stopped", res, d.pid)
	}
	mustRunning(t, d.pid, false)
	mustAbsent(t, p.PIDFile)
}

func TestStopNonChildKilled(t *testing.T) {
	p := testPaths(t, "svc")
	d := startDaemon(t, stubborn, p.PIDFile, true)
	res, err := Stop(stopCtx(t), p, StopOptions{Timeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if !res.WasRunning || res.PID != d.pid || !res.Killed || !res.RemovedStale {
		t.Fatalf("Stop = %+v, want pid %d killed and its pidfile removed", res, d.pid)
	}
	mustRunning(t, d.pid, false)
	mustAbsent(t, p.PIDFile)
}

func TestSignal(t *testing.T) {
	p := testPaths(t, "svc")
	d := startDaemon(t, graceful, p.PIDFile, false)
	pid, err := Signal(p, syscall.SIGUSR1)
	if err != nil || pid != d.pid {
		t.Fatalf("Signal = %d, %v; want %d", pid, err, d.pid)
	}
	if l := d.line(t); l != "usr1" {
		t.Fatalf("daemon said %q, want usr1", l)
	}
	mustRunning(t, d.pid, true)
}

func TestSignalStale(t *testing.T) {
	p := testPaths(t, "svc")
	victim := startSleep(t)
	if err := os.WriteFile(p.PIDFile, fmt.Appendf(nil, "%d\n", victim), 0o644); err != nil {
		t.Fatal(err)
	}
	if pid, err := Signal(p, syscall.SIGTERM); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("Signal(stale) = %d, %v; want ErrNotRunning", pid, err)
	}
	mustRunning(t, victim, true)
	mustState(t, p, pidfile.Stale) // Signal changes nothing on disk
}

// TestStopNeverSignalsItself: a pidfile this very process holds (a program that embeds
// daemonkit and stops its own instance) is never signalled, by Signal nor by Stop: both
// say so, and send nothing.
func TestStopNeverSignalsItself(t *testing.T) {
	p := testPaths(t, "self")
	f, err := pidfile.Acquire(p.PIDFile)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Release() })
	got := make(chan os.Signal, 2)
	signal.Notify(got, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(got)
	const self = "held by this very process"
	if _, err := Signal(p, syscall.SIGHUP); err == nil || !strings.Contains(err.Error(), self) {
		t.Errorf("Signal = %v; want the error that it is %s", err, self)
	}
	// NoKill: a Stop that signalled this process would wait a second for it, and give up.
	if _, err := Stop(stopCtx(t), p, StopOptions{Timeout: time.Second, NoKill: true}); err == nil || !strings.Contains(err.Error(), self) {
		t.Errorf("Stop = %v; want the error that it is %s", err, self)
	}
	select {
	case sig := <-got:
		t.Fatalf("this process was sent %v", sig)
	default:
	}
}
