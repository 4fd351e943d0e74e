package cli

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/daemonkit/daemonkit/internal/testutil"
)

// slowWriter takes a while over each write, as a terminal or a pipe read slowly does: a
// writer behind, not a writer nobody reads.
type slowWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
	per time.Duration
}

func (w *slowWriter) Write(p []byte) (int, error) {
	time.Sleep(w.per)
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func (w *slowWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// stuckWriter blocks every write until release is closed: a pipe nobody reads.
type stuckWriter struct {
	entered chan struct{}
	release chan struct{}
	once    sync.Once
}

func (w *stuckWriter) Write(p []byte) (int, error) {
	w.once.Do(func() { close(w.entered) })
	<-w.release
	return len(p), nil
}

// reportLines queues n reports, out i and err i, and returns what stderr should hold.
func reportLines(r *allReports, n int) string {
	var want strings.Builder
	for i := range n {
		r.add(fmt.Sprintf("t%d", i), true, fmt.Appendf(nil, "out %d\n", i), fmt.Appendf(nil, "err %d\n", i))
		fmt.Fprintf(&want, "err %d\n", i)
	}
	return want.String()
}

// An interrupt while the writer is only behind (each write slow, none stuck) writes
// every report once, in order, and says nothing went unwritten: it once wrote the
// queued reports' stderr itself while the writer went on writing the same ones, so that
// lines came twice, some after the command's last line.
func TestAllReportsInterruptedBehindWritesEachOnce(t *testing.T) {
	defer func(d time.Duration) { writeBlockedAfter = d }(writeBlockedAfter)
	writeBlockedAfter = time.Second
	out := &slowWriter{per: 20 * time.Millisecond}
	var errs testutil.Buffer
	r := newAllReports(out, &errs)
	want := reportLines(r, 10)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if unwritten := r.finish(ctx); len(unwritten) > 0 {
		t.Errorf("finish: unwritten %q, want none: the writer was behind, not stuck", unwritten)
	}
	if got := errs.String(); got != want {
		t.Errorf("stderr:\n%s\nwant each line once, in order:\n%s", got, want)
	}
	if got, want := out.String(), strings.ReplaceAll(want, "err", "out"); got != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", got, want)
	}
}

// An interrupt while the writer is stuck in a write to stdout ends finish, which returns
// the stdout lines not written and writes the rest's stderr once, in order; the writer,
// released later, writes no more.
func TestAllReportsInterruptedStuckWritesEachOnce(t *testing.T) {
	defer func(d time.Duration) { writeBlockedAfter = d }(writeBlockedAfter)
	writeBlockedAfter = 50 * time.Millisecond
	out := &stuckWriter{entered: make(chan struct{}), release: make(chan struct{})}
	var errs testutil.Buffer
	r := newAllReports(out, &errs)
	want := reportLines(r, 5)
	<-out.entered
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	unwritten := r.finish(ctx)
	if w := []string{"out 0", "out 1", "out 2", "out 3", "out 4"}; !slices.Equal(unwritten, w) {
		t.Errorf("finish: unwritten %q, want %q", unwritten, w)
	}
	close(out.release)
	<-r.done
	if got := errs.String(); got != want {
		t.Errorf("stderr:\n%s\nwant each line once, in order:\n%s", got, want)
	}
}
