package server

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/daemonkit/daemonkit/internal/testutil"
)

// TestReopenUnderWayAtStopEndsFirst: a reopen of the log under way when a stop comes (a
// reload, then a stop, on a loaded machine) ends before the daemon says "stopped", so that
// "stopped" stays its last line: the log ended "stopped", then "reopened log", as if the
// daemon ran on. The reopen here ends once the stop waits for it (testHookAwaitReopen), or,
// without that wait, once the loop has returned.
func TestReopenUnderWayAtStopEndsFirst(t *testing.T) {
	was := redirectLog
	began, release := make(chan struct{}, 1), make(chan struct{})
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	redirectLog = func(string, ...int) error { began <- struct{}{}; <-release; return nil }
	testHookAwaitReopen = free
	t.Cleanup(func() { free(); redirectLog = was; testHookAwaitReopen = nil })

	r, log := newTestRunner(t, time.Hour)
	r.opts.LogPath = filepath.Join(t.TempDir(), "x.log")
	r.manager = &manager{}
	done, res := make(chan error, 1), make(chan error, 1)
	go func() { res <- r.loop(context.Background(), nil, func(error) { done <- nil }, done) }()
	r.sigs.reopen <- sighup
	testutil.Receive(t, began, "the reopen to begin")
	r.sigs.stop <- syscall.SIGTERM
	if err := waitErr(t, res); err != nil {
		t.Errorf("loop = %v", err)
	}
	free()
	testutil.WaitFor(t, "the reopen's line", func() bool { return strings.Contains(log.String(), "reopened log") })
	if l := log.String(); strings.Index(l, "reopened log") > strings.Index(l, "stopped: ") {
		t.Errorf("the reopen under way at the stop was logged after \"stopped\":\n%s", l)
	}
}
