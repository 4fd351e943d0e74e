package server

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/daemonkit/daemonkit/internal/testutil"
	"github.com/daemonkit/daemonkit/pidfile"
)

// newTestRunner holds a pidfile in a fresh directory; its signal channels are fed by hand,
// and its hangup judge is begun as run begins it for a daemon at no terminal.
func newTestRunner(t *testing.T, shutdownTimeout time.Duration) (*runner, *testutil.Buffer) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "x.pid")
	pf, err := pidfile.Acquire(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pf.Release() })
	buf := &testutil.Buffer{}
	judge := newHangupJudge(nil, 0, time.Now()) // as run begins it, at no terminal
	t.Cleanup(judge.stopTimer)
	return &runner{
		opts:    Options{PIDFile: path, ShutdownTimeout: shutdownTimeout, PIDFileCheck: time.Hour},
		records: &records{},
		sigs:    &signals{stop: make(chan os.Signal, 1), reopen: make(chan os.Signal, 1)},
		log:     hclog.New(&hclog.LoggerOptions{Output: buf}),
		pf:      pf,
		judge:   judge,
	}, buf
}

func waitErr(t *testing.T, ch <-chan error) error {
	t.Helper()
	return testutil.Receive(t, ch, "the loop to return")
}

// TestWorkloadEndsOnItsOwn: the loop logs the error, removes the pidfile and returns the
// error.
func TestWorkloadEndsOnItsOwn(t *testing.T) {
	r, log := newTestRunner(t, time.Millisecond)
	done := make(chan error, 1)
	boom := errors.New("boom")
	done <- boom
	err := r.loop(context.Background(), nil, func(error) {}, done)
	if !errors.Is(err, boom) {
		t.Errorf("loop = %v, want boom", err)
	}
	if st, err := pidfile.Probe(r.opts.PIDFile); err != nil || st.State != pidfile.Absent {
		t.Errorf("pidfile: %+v %v", st, err)
	}
	if !strings.Contains(log.String(), "workload ended on its own") {
		t.Errorf("log:\n%s", log)
	}
}

// draining runs the loop of a runner stopped by SIGTERM whose workload never returns, and
// returns once the workload is cancelled: with the loop's log, its result to come, and the
// cause the workload was cancelled with.
func draining(t *testing.T) (*runner, *testutil.Buffer, <-chan error, error) {
	t.Helper()
	r, log := newTestRunner(t, time.Hour)
	cancelled := make(chan error, 1)
	done := make(chan error) // the workload never returns
	r.sigs.stop <- syscall.SIGTERM
	res := make(chan error, 1)
	go func() { res <- r.loop(context.Background(), nil, func(cause error) { cancelled <- cause }, done) }()
	return r, log, res, <-cancelled
}

// TestRacingStopsDrainOnce: a second SIGTERM right after the first, as two stop commands
// that raced send it, is the same stop: the drain goes on; a SIGINT then cuts it.
func TestRacingStopsDrainOnce(t *testing.T) {
	defer func(w time.Duration) { sameStopWindow = w }(sameStopWindow)
	sameStopWindow = time.Hour // "at once", whatever the machine's load
	r, log, res, _ := draining(t)
	r.sigs.stop <- syscall.SIGTERM // the racing stop's
	r.sigs.stop <- syscall.SIGINT  // taken only once the SIGTERM was: it cuts the drain
	if err := waitErr(t, res); err != nil {
		t.Errorf("loop = %v", err)
	}
	for _, want := range []string{"taken for the same stop", "second stop signal (SIGINT)"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	if strings.Contains(log.String(), "second stop signal (SIGTERM)") {
		t.Errorf("the racing SIGTERM cut the drain:\n%s", log)
	}
}

// TestSecondStopCutsDrain: a second stop signal during the drain gives up on the workload.
func TestSecondStopCutsDrain(t *testing.T) {
	r, log, res, cause := draining(t)
	if !strings.Contains(cause.Error(), "SIGTERM") {
		t.Errorf("cancelled with %v, want the signal named", cause)
	}
	r.sigs.stop <- syscall.SIGINT
	if err := waitErr(t, res); err != nil {
		t.Errorf("loop = %v", err)
	}
	for _, want := range []string{"second stop signal (SIGINT)", "drain cut short", "stopped:"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	if st, err := pidfile.Probe(r.opts.PIDFile); err != nil || st.State != pidfile.Absent {
		t.Errorf("pidfile: %+v %v", st, err)
	}
}

// panickyReloader is a workload whose reload hook panics.
type panickyReloader struct{ WorkloadFunc }

func (panickyReloader) Reload(context.Context) error { panic("bad config") }

// TestReloadPanics: a reload hook that panics fails its reload, as an error would: the
// stack and the failure go to the log, and the daemon runs on.
func TestReloadPanics(t *testing.T) {
	r, log := newTestRunner(t, time.Hour)
	r.manager = &manager{}
	r.askReopen(context.Background(), panickyReloader{}, sighup)
	<-r.reopens.done // the reopen runs beside the loop, and the reload after it
	r.reopenEnded(context.Background(), panickyReloader{})
	<-r.reload.done // the hook runs beside the loop too
	for _, want := range []string{"the reload hook panicked: panic=\"bad config\"", `reload failed: error="panic: bad config [in github.com/daemonkit/daemonkit/server.panickyReloader.Reload at `} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
}

// slowReloader is a workload whose reload hook runs until its context is cancelled.
type slowReloader struct {
	WorkloadFunc
	started, cancelled chan struct{}
}

func (s slowReloader) Reload(ctx context.Context) error {
	close(s.started)
	<-ctx.Done()
	close(s.cancelled)
	return ctx.Err()
}

// TestStopDuringReload: a stop that comes while the reload hook runs is not held up by it:
// the hook's context is cancelled, the workload is cancelled, and the loop returns.
func TestStopDuringReload(t *testing.T) {
	r, _ := newTestRunner(t, time.Hour)
	r.manager = &manager{}
	w := slowReloader{started: make(chan struct{}), cancelled: make(chan struct{})}
	done := make(chan error, 1)
	res := make(chan error, 1)
	go func() { res <- r.loop(context.Background(), w, func(error) { done <- nil }, done) }()
	r.sigs.reopen <- sighup
	testutil.Receive(t, w.started, "the reload hook to run")
	r.sigs.stop <- syscall.SIGTERM
	if err := waitErr(t, res); err != nil {
		t.Errorf("loop = %v", err)
	}
	select {
	case <-w.cancelled:
	default:
		t.Error("the reload hook's context was not cancelled by the stop")
	}
}

// stuckReopens makes the log's reopens block (a frozen disk) until the test ends, and
// returns a channel that receives as each one begins.
func stuckReopens(t *testing.T) <-chan string {
	t.Helper()
	began, thaw := make(chan string, 8), make(chan struct{})
	was := redirectLog
	redirectLog = func(path string, fds ...int) error {
		began <- path
		<-thaw
		return nil
	}
	t.Cleanup(func() { close(thaw); redirectLog = was })
	return began
}

// TestStopWhileReopenStuck: a stop's SIGTERM is acted on at once while a reopen of the log
// is stuck (its disk frozen): the workload is cancelled and the loop returns, having waited
// for the reopen no longer than ReloadGrace (awaitReopen). More reopen
// signals meanwhile start no second reopen beside the stuck one. (The reopen ran inline in
// the loop, and held the stop until the thaw.)
func TestStopWhileReopenStuck(t *testing.T) {
	began := stuckReopens(t)
	r, _ := newTestRunner(t, time.Hour)
	r.opts.LogPath = filepath.Join(t.TempDir(), "x.log")
	r.manager = &manager{}
	r.sigs.reopen = make(chan os.Signal, 8)
	done, res := make(chan error, 1), make(chan error, 1)
	go func() { res <- r.loop(context.Background(), nil, func(error) { done <- nil }, done) }()
	r.sigs.reopen <- sighup
	testutil.Receive(t, began, "the reopen to begin")
	r.sigs.reopen <- sighup
	r.sigs.reopen <- sigusr1
	r.sigs.stop <- syscall.SIGTERM
	if err := testutil.Receive(t, res, "the loop to end beside the stuck reopen"); err != nil {
		t.Errorf("loop = %v", err)
	}
	select {
	case <-began:
		t.Error("a second reopen began beside the stuck one")
	default:
	}
}

// TestReopensWhileOneRunsFollowOnce: reopen signals that come while a reopen runs are not
// lost: once it ends, one more reopen follows for all of them, then the loop is idle.
func TestReopensWhileOneRunsFollowOnce(t *testing.T) {
	was := redirectLog
	t.Cleanup(func() { redirectLog = was })
	began, release := make(chan struct{}, 8), make(chan struct{}, 8)
	redirectLog = func(string, ...int) error { began <- struct{}{}; <-release; return nil }
	r, log := newTestRunner(t, time.Hour)
	r.opts.LogPath = filepath.Join(t.TempDir(), "x.log")
	r.manager = &manager{}
	r.askReopen(context.Background(), nil, sigusr1)
	<-began
	for range 5 {
		r.askReopen(context.Background(), nil, sigusr1)
	}
	release <- struct{}{}
	<-r.reopens.done
	r.reopenEnded(context.Background(), nil) // starts the one that follows
	testutil.Receive(t, began, "the reopen that follows the ones asked for meanwhile")
	release <- struct{}{}
	<-r.reopens.done
	r.reopenEnded(context.Background(), nil)
	if r.reopens.done != nil {
		t.Error("a third reopen began: the five asked for meanwhile were not one")
	}
	if n := strings.Count(log.String(), "reopened log"); n != 2 {
		t.Errorf("%d reopens logged, want 2:\n%s", n, log)
	}
}

// boundedWork is a workload that bounds its own drain (DrainBounder), as a supervisor does;
// killed, it returns at once.
type boundedWork struct {
	WorkloadFunc
	ended, killed atomic.Bool
	done          chan error // the workload's end, for the loop
}

func newBoundedWork() *boundedWork { return &boundedWork{done: make(chan error, 2)} }

func (b *boundedWork) WorkEnded() bool { return b.ended.Load() }

func (b *boundedWork) Kill() {
	b.killed.Store(true)
	b.done <- nil
}

// stopBounded stops a runner whose workload w bounds its own drain and returns (on done)
// returnAfter the stop, or never if returnAfter is 0: the loop's log, and its result.
func stopBounded(t *testing.T, w *boundedWork, shutdownTimeout, returnAfter time.Duration) (log string, err error) {
	t.Helper()
	r, logged := newTestRunner(t, shutdownTimeout)
	r.manager = &manager{}
	cancel := func(error) {
		if returnAfter > 0 {
			time.AfterFunc(returnAfter, func() { w.done <- nil }) // its program killed, or its last output written slowly
		}
	}
	r.sigs.stop <- syscall.SIGTERM
	res := make(chan error, 1)
	go func() { res <- r.loop(context.Background(), w, cancel, w.done) }()
	err = waitErr(t, res)
	return logged.String(), err
}

// TestDrainBounderOwnsItsBound: a workload that bounds its own drain and returns past
// ShutdownTimeout (its program killed at its bound, its last output written for a slow
// reader) is not cut short by the runtime: no "drain cut short", no Kill. (The runtime's
// bound and the supervisor's were the same, and which one's line the log showed was a race;
// a program that had ended cleanly read as cut off.)
func TestDrainBounderOwnsItsBound(t *testing.T) {
	w := newBoundedWork()
	log, err := stopBounded(t, w, 20*time.Millisecond, 300*time.Millisecond)
	if err != nil {
		t.Errorf("loop = %v", err)
	}
	if strings.Contains(log, "drain cut short") || w.killed.Load() {
		t.Errorf("the runtime cut the drain of a workload that bounds its own (killed %v):\n%s", w.killed.Load(), log)
	}
	if !strings.Contains(log, "stopped:") {
		t.Errorf("log lacks stopped:\n%s", log)
	}
}

// TestDrainBounderBackstop: KillGrace past ShutdownTimeout, the runtime stops waiting for
// a workload that bounds its own drain: if its work has ended, for its last output, and it
// says so, killing nothing; if not, it cuts the drain and kills what it runs.
func TestDrainBounderBackstop(t *testing.T) {
	t.Run("output", func(t *testing.T) {
		t.Parallel()
		w := newBoundedWork()
		w.ended.Store(true)
		log, _ := stopBounded(t, w, 10*time.Millisecond, 0)
		if !strings.Contains(log, "not waiting for the work's last output any more") || strings.Contains(log, "drain cut short") || w.killed.Load() {
			t.Errorf("killed %v; log:\n%s", w.killed.Load(), log)
		}
	})
	t.Run("work", func(t *testing.T) {
		t.Parallel()
		w := newBoundedWork()
		log, _ := stopBounded(t, w, 10*time.Millisecond, 0)
		if !strings.Contains(log, "though it bounds its own drain: killing what it runs") || !w.killed.Load() {
			t.Errorf("killed %v; log:\n%s", w.killed.Load(), log)
		}
	})
}
