package server

import (
	"context"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/daemonkit/daemonkit/internal/chans"
)

// reloads is the reload hook's run beside the runtime's loop, one at a time: a stop that
// comes while the hook runs is not held up by it, and cancels its context. A reload asked
// for while one runs follows it, once for any number of asks, as systemd queues one
// reload job behind the one that runs.
type reloads struct {
	done  chan struct{} // closed when the reload under way ends; nil while none runs
	again bool          // asked for while one ran

	mu      sync.Mutex // orders a reload's READY=1 and a stop's STOPPING=1
	stopped bool       // STOPPING=1 was sent
}

// stopping tells the service manager STOPPING=1: a reload that ends after it says nothing
// more, since READY=1 after STOPPING=1 would break the protocol.
func (rs *reloads) stopping(m *manager) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.stopped = true
	m.send("STOPPING=1")
}

// readyAgain tells the service manager READY=1 once a reload has ended, unless a stop has
// begun.
func (rs *reloads) readyAgain(m *manager) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if !rs.stopped {
		m.send("READY=1")
	}
}

// startReload runs rl's reload hook with ctx, or has it run once more after the one under
// way. The service manager is told RELOADING=1 now and READY=1 once the hook returns.
func (r *runner) startReload(ctx context.Context, rl Reloader) {
	if r.reload.done != nil {
		if !r.reload.again {
			r.reload.again = true
			// Said beside the loop: a log line may block (a frozen disk), and must not hold
			// up a stop. Once for the reloads that follow, however many are asked for.
			go r.log.Info("a reload is under way: this one follows it")
		}
		return
	}
	r.manager.reloading()
	done := make(chan struct{})
	r.reload.done = done
	go func() {
		defer close(done)
		ReloadAndLog(ctx, r.log, rl)
		r.reload.readyAgain(r.manager)
	}()
}

// ReloadAndLog calls rl's reload hook with ctx and logs how it went: reloaded, failed (a
// hook that panics fails its reload, as one that returns an error does: the daemon runs
// on, serving what it served), or cut short by a stop, which cancelled ctx.
func ReloadAndLog(ctx context.Context, log hclog.Logger, rl Reloader) {
	err := Recovered(log, "the reload hook", func() error { return rl.Reload(ctx) })
	switch {
	case err != nil && ctx.Err() != nil:
		log.Info("reload cut short by the stop", "error", err)
	case err != nil:
		log.Error("reload failed", "error", err)
	default:
		log.Info("reloaded")
	}
}

// reloadEnded is the loop's part once the reload under way has ended (its done is
// closed): it runs the one asked for meanwhile, if any.
func (r *runner) reloadEnded(ctx context.Context, rl Reloader) {
	r.reload.done = nil
	if r.reload.again && ctx.Err() == nil {
		r.reload.again = false
		r.startReload(ctx, rl)
	}
}

// ReloadGrace bounds the wait, once the work has drained, for a reload hook still running
// at a stop: its context is cancelled, and it should return at once.
const ReloadGrace = time.Second

// awaitReload waits for a reload hook still running at a stop (its context cancelled by
// then) to return, for at most within: a hook that ignores its context is left to the
// process's exit, and the log says so.
func (r *runner) awaitReload(within time.Duration) {
	if r.reload.done == nil {
		return
	}
	t := time.NewTimer(max(within, 0))
	defer t.Stop()
	select {
	case <-r.reload.done:
	case <-t.C:
		// It may have returned as the bound passed (or had, the stop's bound being over):
		// select picks either at random, and it does not run on.
		if _, ended := chans.Came(r.reload.done); !ended {
			r.log.Warn("the reload hook still runs after the stop: not waiting for it")
		}
	}
}
