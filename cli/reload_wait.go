package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/daemonkit/daemonkit/instance"
)

// A reload asked for while the instance starts waits for the start to end, as systemd runs
// a reload job queued behind a start job once the start is done: the program may have read
// its configuration before the change the reload is for, and a deploy that starts some
// instances while a handler reloads them all (reload --all) should neither fail nor leave
// a program on the old configuration.

// startingNow says whether the instance st describes is starting: a start of it is under
// way, its daemon has not said it is ready, or its supervised program's restart is
// starting.
func startingNow(st instance.Status) bool {
	if st.Starting {
		return true
	}
	if st.Running() && st.Record != nil && st.Record.Restarting() {
		_, starting := startingCopy(st.Record)
		return starting
	}
	return false
}

// reloadWaitFor bounds how long a reload waits for the instance at paths to be ready once
// no start of it is under way (a start bounds its own wait, by the --ready-timeout it was
// given, which a first start records only once it is ready): as long as a second start
// would wait for the first (startLockWait), by the --ready-timeout its record says it was
// started with, if its record says (the program's own restart, a daemon whose start is
// gone), else by the default one.
func reloadWaitFor(paths instance.Paths) time.Duration {
	var req request
	if rec, err := instance.ReadRecord(paths.Record); err == nil && len(rec.Request) > 0 {
		_ = json.Unmarshal(rec.Request, &req) // informative: the default bounds it otherwise
	}
	return startLockWait(&req)
}

// readyWait is what awaitReady found: what Inspect says of the instance once its wait is
// over (or at once, if it did not wait), and whether it waited.
type readyWait struct {
	st         instance.Status
	inspectErr error
	waited     bool
}

// awaitReady waits while the instance at paths, of which Inspect said st and inspectErr,
// is starting (startingNow), until its start ends: it is ready, or it failed. While a
// start under way, not stopped by a signal (Ctrl-Z), waits for its daemon, which holds the
// pidfile, to be ready, the wait goes on as long as the start's does (its --ready-timeout
// bounds it). Else it lasts at most reloadWaitFor (a daemon whose start is gone, a start
// that has not launched its daemon yet, which takes its pidfile within milliseconds, a
// supervised program's restart), and a daemon that may not become ready
// (instance.MayBeStarting: one no start launched, one whose record was deleted by hand, a
// start in the foreground, which holds no start lock) is not waited for. A daemon that
// failed, and has recorded so but not yet let its pidfile go, is waited for until it is
// gone. The error is the wait's own: that bound passed, or waits' interrupt came. A wait
// begun is noted on app.progressOut (a reload that says nothing for seconds looks hung),
// and gives the instance's turn under --all up (app.whileWaiting).
func awaitReady(waits *waitInterrupt, app *App, paths instance.Paths, st instance.Status, inspectErr error) (readyWait, error) {
	if inspectErr != nil || !startingNow(st) {
		return readyWait{st: st, inspectErr: inspectErr}, nil
	}
	// The start lock is looked at before the instance, here as at each look of the wait
	// (pollReady): st, looked at before, may be of a start that has ended since, its
	// daemon ready and recorded, and a daemon older than within would not be waited for.
	goesOn := paths.StartGoesOn()
	if !goesOn {
		st, inspectErr = instance.Inspect(paths)
		if inspectErr != nil || !startingNow(st) {
			return readyWait{st: st, inspectErr: inspectErr}, nil
		}
	}
	within := reloadWaitFor(paths)
	// waitable says whether to wait on for an instance of which Inspect said st, with
	// goesOn what a look at its start lock (StartGoesOn) said before that Inspect: a start
	// that goes on after its daemon has written its ready record is seen ending, never
	// the other way round.
	waitable := func(st instance.Status, goesOn bool) bool {
		switch {
		case !startingNow(st):
			return false
		case !st.Running() || !st.Starting: // no daemon yet, or the program's restart
			return true
		case goesOn: // its start bounds its own wait
			return true
		}
		return instance.MayBeStarting(st.PID(), within)
	}
	if !waitable(st, goesOn) {
		return readyWait{st: st, inspectErr: inspectErr}, nil
	}
	ctx := waits.context()
	app.say(app.progressOut(), hclog.Info, "note: ", "reload "+paths.Name+": it is starting: it is reloaded once it is ready")
	w := readyWait{st: st, inspectErr: inspectErr, waited: true}
	var err error
	app.whileWaiting(func() { err = pollReady(ctx, paths, &w, within, waitable) })
	return w, err
}

// pollReady is awaitReady's wait, polling Inspect into w until waitable says the wait is
// over, the bound within passes, or ctx ends. The bound starts again at each look that
// finds a start under way that has not seen its daemon ready.
func pollReady(ctx context.Context, paths instance.Paths, w *readyWait, within time.Duration, waitable func(instance.Status, bool) bool) error {
	end := time.Now().Add(within)
	for backoff := time.Millisecond; ; backoff = min(2*backoff, 20*time.Millisecond) {
		select {
		case <-ctx.Done():
			return fmt.Errorf("it is starting, and reload gave up waiting for it to be ready: %w", context.Cause(ctx))
		case <-time.After(backoff): // a polling step: readiness wakes nobody outside the daemon
		}
		goesOn := paths.StartGoesOn() // before Inspect: see waitable
		w.st, w.inspectErr = instance.Inspect(paths)
		if testHookInspected != nil {
			testHookInspected()
		}
		switch {
		case w.inspectErr == nil && w.st.Running() && w.st.Record != nil && !w.st.Record.GoesOn():
			// It failed, recorded so, and lets its pidfile go: wait until it has.
		case w.inspectErr != nil || !waitable(w.st, goesOn):
			return nil
		case goesOn && w.st.Running() && w.st.Starting:
			end = time.Now().Add(within)
		}
		if time.Now().After(end) {
			return fmt.Errorf("it is still starting after %v: reload it once it is ready (it reads its configuration as it is then)", within)
		}
	}
}

// testHookInspected, when set by a test, runs in pollReady after each Inspect: a test
// ends the start there, as a loaded machine may between two looks.
var testHookInspected func()

// waitInterrupt is the interrupt (Ctrl-C, SIGTERM) that ends a reload's waits for starting
// instances: armed at the first wait, so that until then an interrupt ends reload as it
// ends any command, and shared by every wait of a reload --all, also of the instances
// whose turn comes after it. The zero value is ready to use.
type waitInterrupt struct {
	mu   sync.Mutex
	ctx  context.Context
	stop func()
}

// context arms the interrupt, if it is not armed yet, and returns its context, which ends
// with the interrupt.
func (w *waitInterrupt) context() context.Context {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ctx == nil {
		w.ctx, w.stop = interruptible()
	}
	return w.ctx
}

// err is the interrupt's cause once it came, else nil; it arms nothing.
func (w *waitInterrupt) err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ctx == nil || w.ctx.Err() == nil {
		return nil
	}
	return context.Cause(w.ctx)
}

// release disarms the interrupt, if it was armed.
func (w *waitInterrupt) release() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stop != nil {
		w.stop()
	}
}
