package logfile

import (
	"io"
	"sync"

	"github.com/daemonkit/daemonkit/internal/proc"
)

// Handoff returns a writer to w for a logger (one that writes whole lines, as hclog does):
// each Write is written to w by a goroutine of its own, and returns once it is written, or
// once w gives up (Bound), whichever comes first. The logger's goroutine is then never the
// one left blocked in a write(2) that never returns (a reader that stopped reading for
// good): it would hold the logger's lock for ever, and every later line, of any goroutine,
// would wait behind it, past the give-up. Once w gave up, each Write goes to w at once,
// which drops and counts it.
func (w *Writer) Handoff() io.Writer {
	return &handoff{w: w, lines: make(chan []byte), written: make(chan struct{})}
}

// handoff is Handoff's writer.
type handoff struct {
	w       *Writer
	mu      sync.Mutex // one Write at a time: buf is the one handed over
	buf     []byte
	lines   chan []byte
	written chan struct{} // receives once a line handed over is written
	start   sync.Once
}

func (h *handoff) Write(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.w.gaveUpYet() {
		return h.w.Write(p) // never waits: dropped and counted; buf may be the stuck write's
	}
	h.start.Do(func() { proc.GoDeaf(h.run) })
	h.buf = append(h.buf[:0], p...)
	select {
	case h.lines <- h.buf:
	case <-h.w.gaveUp:
		return h.w.Write(p)
	}
	select {
	case <-h.written:
	case <-h.w.gaveUp: // the goroutine drops it, or was the one stuck: counted either way
	}
	return len(p), nil
}

// run writes each line handed over, for the process's life, on a thread that takes no
// signal (proc.GoDeaf): one blocked on a frozen disk must not hold up the daemon's.
func (h *handoff) run() {
	for b := range h.lines {
		_, _ = h.w.Write(b)
		select {
		case h.written <- struct{}{}:
		case <-h.w.gaveUp: // its Write returned already
		}
	}
}
