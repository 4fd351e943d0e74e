package launcher

import (
	"os"
	"time"

	"github.com/daemonkit/daemonkit/handshake"
)

// lateWordWait bounds how long, once the ready deadline has passed, the launcher takes
// reports the daemon wrote by then: the reader is woken at once by the bytes waiting in
// the pipe, so this is only a bound, which also keeps a daemon that goes on sending status
// lines from holding its start past the deadline.
const lateWordWait = time.Second

// lateWord is the next report the daemon wrote by the time the ready deadline passed, if
// it wrote one, which the launcher has not taken yet: the deadline and the word came
// together (this process was stopped, Ctrl-Z, or starved of the processor on a loaded
// machine, while the daemon got ready), and the word decides, not which of the two a
// select picks. One already read and waiting on events comes first. Else, if bytes wait
// in the pipe r (FIONREAD), or if more is true (a late word was taken already: the reader
// reads what waits in the pipe in one go, and may hold more of it, unsent, which FIONREAD
// no longer counts), the report they make, which the reader brings within wait.
func lateWord(r *os.File, events <-chan handshake.Event, more bool, wait time.Duration) (handshake.Event, bool) {
	select {
	case ev := <-events:
		return ev, true
	default:
	}
	if (!more && pendingBytes(r) <= 0) || wait <= 0 {
		return handshake.Event{}, false
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case ev := <-events:
		return ev, true
	case <-t.C:
		return handshake.Event{}, false
	}
}
