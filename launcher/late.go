package launcher

import (
	"os"
	"time"

	"github.com/daemonkit/daemonkit/handshake"
)

// lateWordWait bounds how long, at the deadline, the launcher waits for the handshake's
// reader to bring a report the daemon wrote before it: the reader is woken at once by the
// bytes waiting in the pipe, so this is only a bound.
const lateWordWait = time.Second

// lateWord is the next report the daemon wrote by the time the ready deadline passed, if
// it wrote one, which the launcher has not read yet: the deadline and the word came
// together (this process was stopped, Ctrl-Z, or starved of the processor on a loaded
// machine, while the daemon got ready), and the word decides, not which of the two a
// select picks. One already read and waiting on events comes first; else, if bytes wait
// in the pipe r (FIONREAD), the report they make, which the reader brings within
// lateWordWait.
func lateWord(r *os.File, events <-chan handshake.Event) (handshake.Event, bool) {
	select {
	case ev := <-events:
		return ev, true
	default:
	}
	if pendingBytes(r) <= 0 {
		return handshake.Event{}, false
	}
	t := time.NewTimer(lateWordWait)
	defer t.Stop()
	select {
	case ev := <-events:
		return ev, true
	case <-t.C:
		return handshake.Event{}, false
	}
}
