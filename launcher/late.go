package launcher

import (
	"context"
	"time"

	"github.com/daemonkit/daemonkit/handshake"
)

// lateWordWait bounds how long, once the ready deadline has passed, the launcher waits for
// the reader to bring the next report the daemon wrote by then: the reader is woken at
// once by the bytes waiting in the pipe, or holds them already, so this is only a bound.
const lateWordWait = time.Second

// lateWord is the next report the daemon wrote by the time the ready deadline passed, if
// it wrote one the launcher has not taken yet: the deadline and the word came together
// (this process was stopped, Ctrl-Z, or starved of the processor on a loaded machine,
// while the daemon got ready), and the word decides, not which of the two a select picks.
// limit is how many bytes the daemon had written by the deadline (what the reader had
// taken from the pipe, and what waited in it: FIONREAD), taken how many of them the
// launcher has taken as reports: a report that ends past limit was written after the
// deadline, and does not count. It gives up when ctx is done.
func lateWord(ctx context.Context, events <-chan handshake.Event, taken, limit int64) (handshake.Event, bool) {
	if taken >= limit {
		return handshake.Event{}, false // every word written by the deadline is taken
	}
	t := time.NewTimer(lateWordWait)
	defer t.Stop()
	select {
	case ev := <-events:
		if ev.End > limit {
			return handshake.Event{}, false
		}
		return ev, true
	case <-t.C:
	case <-ctx.Done():
	}
	return handshake.Event{}, false
}
