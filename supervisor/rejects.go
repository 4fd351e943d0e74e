package supervisor

import (
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
)

// rejectEvery is how often, at most, a run logs a notification it dropped.
const rejectEvery = 10 * time.Second

// rejectLog says in the log that notifications were dropped: the first, and then one each
// rejectEvery at most, with how many went unlogged since the last line. Any user may send
// datagrams to a notify socket (mode 0666, so that a program that changes its user may
// still say it is ready); one line each would let a loop of them fill the disk of root's
// log, and push the program's own lines out of those start quotes when it fails.
type rejectLog struct {
	now func() time.Time

	mu       sync.Mutex
	last     time.Time // of the last line; zero before the first
	unlogged int       // dropped since the last line, not logged
}

// drop logs, or counts, a datagram from sender dropped for reason. One of the program's
// own (own: from the program or a descendant of it) is always logged, and leaves the
// count of the others as it is.
func (l *rejectLog) drop(log hclog.Logger, sender int, reason string, own bool) {
	if own {
		log.Warn("dropped a notification", "sender", sender, "reason", reason)
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if !l.last.IsZero() && now.Sub(l.last) < rejectEvery {
		l.unlogged++
		return
	}
	args := []any{"sender", sender, "reason", reason}
	if l.unlogged > 0 {
		args = append(args, "unlogged", l.unlogged)
	}
	log.Warn("dropped a notification", args...)
	l.last, l.unlogged = now, 0
}
