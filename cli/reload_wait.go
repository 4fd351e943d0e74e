package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/internal/proc"
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

// awaitReady waits while the instance at paths, of which Inspect said st and inspectErr,
// is starting (startingNow), until its start ends: it is ready, or it failed. It returns
// what Inspect says then, and whether it waited. A daemon that may not become ready
// (instance.MayBeStarting: one no start launched, or one whose record was deleted by hand)
// is not waited for. While a start that is not stopped by a signal (Ctrl-Z) waits for its
// daemon, which holds the pidfile, to be ready, the wait goes on as long as the start's
// does (its --ready-timeout bounds it); else it lasts at most reloadWaitFor (a daemon
// whose start is gone, a start that has not launched its daemon yet, which takes its
// pidfile within milliseconds, a supervised program's restart). The error is the wait's
// own: that bound passed, or ctx ended (an interrupt). A wait begun is noted on
// app.progressOut: a reload that says nothing for seconds looks hung.
func awaitReady(ctx context.Context, app *App, paths instance.Paths, st instance.Status, inspectErr error) (instance.Status, error, bool, error) {
	if inspectErr != nil || !startingNow(st) {
		return st, inspectErr, false, nil
	}
	within := reloadWaitFor(paths)
	waitable := func(st instance.Status) bool {
		return startingNow(st) && !(st.Running() && st.Starting && !instance.MayBeStarting(st.PID(), within))
	}
	if !waitable(st) {
		return st, inspectErr, false, nil
	}
	fmt.Fprintf(app.progressOut(), "%s: note: reload %s: it is starting: it is reloaded once it is ready\n", app.Config.Name, paths.Name)
	end := time.Now().Add(within)
	for backoff := time.Millisecond; ; backoff = min(2*backoff, 20*time.Millisecond) {
		if st.Running() && st.Starting && startWaits(paths) {
			end = time.Now().Add(within)
		}
		select {
		case <-ctx.Done():
			return st, inspectErr, true, fmt.Errorf("it is starting, and reload gave up waiting for it to be ready: %w", context.Cause(ctx))
		case <-time.After(backoff): // a polling step: readiness wakes nobody outside the daemon
		}
		st, inspectErr = instance.Inspect(paths)
		switch {
		case inspectErr != nil || !waitable(st):
			return st, inspectErr, true, nil
		case time.Now().After(end):
			return st, inspectErr, true, fmt.Errorf("it is still starting after %v: reload it once it is ready (it reads its configuration as it is then)", within)
		}
	}
}

// startWaits reports whether a start of the instance at paths is under way and not
// stopped by a signal (Ctrl-Z): it bounds its own wait for its daemon, by its
// --ready-timeout, and gives up its start lock then.
func startWaits(paths instance.Paths) bool {
	start := paths.StartUnderWay()
	if start == 0 {
		return false
	}
	ps, err := proc.ReadStat(start)
	return err != nil || !ps.Stopped()
}
