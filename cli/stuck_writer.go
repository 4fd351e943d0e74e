package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sync"
	"time"
)

// errWriteGivenUp is what a write to a writesUntilInterrupted writer returns once it was
// given up, or is not tried: an earlier one is still stuck.
var errWriteGivenUp = errors.New("write given up: interrupted while it was blocked (a pipe nobody reads)")

// untilInterrupted is writesUntilInterrupted's writer.
type untilInterrupted struct {
	ctx context.Context
	w   io.Writer

	mu      sync.Mutex    // one write at a time, in order
	pending chan struct{} // closed once a write given up has ended; nil if none is under way
}

// writesUntilInterrupted returns a writer to w (stderr) whose writes block as w's do
// until ctx ends (an interrupt), and then only as long as a write may take before it is
// taken for one nobody will ever read (writeBlockedAfter, from the write's start, as
// allReports judges stdout's): such a write is given up, left to end on its own, and every
// write after it says nothing more until it has. A command interrupted with its stderr a
// full pipe nobody reads then ends, rather than wait for ever to say so.
func writesUntilInterrupted(ctx context.Context, w io.Writer) io.Writer {
	return &untilInterrupted{ctx: ctx, w: w}
}

// stderrUntilInterrupted is a's stderr through writesUntilInterrupted(ctx): the same writer
// every time it is asked with ctx, so that what is said last (sayInterrupted) does not
// wait another writeBlockedAfter behind a write given up already, but is given up at once.
func (a *App) stderrUntilInterrupted(ctx context.Context) io.Writer {
	if a.stderrUntil == nil || a.stderrUntil.ctx != ctx {
		a.stderrUntil = &untilInterrupted{ctx: ctx, w: a.Config.Stderr}
	}
	return a.stderrUntil
}

func (s *untilInterrupted) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pending != nil { // a write given up: the next waits for it, or the interrupt
		// Whether it has ended is asked first: after the interrupt both are ready, and
		// a select between them would drop half the lines written once the pipe drained.
		select {
		case <-s.pending:
			s.pending = nil
		default:
			select {
			case <-s.pending:
				s.pending = nil
			case <-s.ctx.Done():
				return 0, errWriteGivenUp
			}
		}
	}
	began := time.Now()
	done := make(chan struct{})
	var n int
	var err error
	buf := bytes.Clone(p) // the caller may reuse p once Write has returned
	go func() {
		n, err = s.w.Write(buf)
		close(done)
	}()
	select {
	case <-done:
		return n, err
	case <-s.ctx.Done():
	}
	timer := time.NewTimer(writeBlockedAfter - time.Since(began))
	defer timer.Stop()
	select {
	case <-done:
		return n, err
	case <-timer.C:
		s.pending = done
		return 0, errWriteGivenUp
	}
}
