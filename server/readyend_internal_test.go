package server

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/daemonkit/daemonkit/internal/testutil"
)

// A workload that got ready as the daemon's own ready timeout (--ready-timeout) passed,
// both found by a daemon late to look (a loaded machine), started: select picks either at
// random, and the timeout's pick stopped a ready workload and failed its start as not
// ready within its ready timeout.
func TestReadyAsItsReadyTimeoutPassed(t *testing.T) {
	const bound = time.Millisecond
	t.Cleanup(func() { testHookBeforeStartWait = nil })
	testHookBeforeStartWait = func(readyc <-chan string, _ <-chan error) {
		set := time.Now() // the daemon's deadline was set before
		testutil.WaitFor(t, "ready, and the ready timeout passed", func() bool {
			return len(readyc) > 0 && time.Since(set) > bound
		})
	}
	serve := WorkloadFunc(func(ctx context.Context, ready ReadyFunc) error {
		ready("")
		<-ctx.Done()
		return nil
	})
	for i := range 40 {
		r, log := newTestRunner(t, time.Minute)
		r.opts.ReadyTimeout = bound
		r.manager = &manager{}
		ctx, cancel := context.WithCancel(context.Background())
		r.opts.Ready = cancel // started: stop it at once
		err := r.run(ctx, serve)
		cancel()
		if errors.Is(err, errNotReady) {
			t.Fatalf("try %d: run = %v, want it started\n%s", i, err, log)
		}
	}
}

// A workload that failed as the daemon's ready timeout passed (both found late) failed of
// its own error: the timeout's pick said "not ready within its ready timeout" and lost why
// it failed (a port in use, a bad configuration).
func TestFailedAsItsReadyTimeoutPassed(t *testing.T) {
	const bound = time.Millisecond
	t.Cleanup(func() { testHookBeforeStartWait = nil })
	testHookBeforeStartWait = func(_ <-chan string, done <-chan error) {
		set := time.Now() // the daemon's deadline was set before
		testutil.WaitFor(t, "the failure, and the ready timeout passed", func() bool {
			return len(done) > 0 && time.Since(set) > bound
		})
	}
	own := errors.New("listen tcp :80: bind: address already in use")
	serve := WorkloadFunc(func(context.Context, ReadyFunc) error { return own })
	for i := range 40 {
		r, log := newTestRunner(t, time.Minute)
		r.opts.ReadyTimeout = bound
		r.manager = &manager{}
		if err := r.run(context.Background(), serve); !errors.Is(err, own) {
			t.Fatalf("try %d: run = %v, want its own error\n%s", i, err, log)
		}
	}
}
