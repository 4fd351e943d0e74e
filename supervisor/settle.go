package supervisor

import (
	"context"
	"net"
	"os"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/daemonkit/daemonkit/notify"
)

// settleKey is the field of the datagram the supervisor sends to a copy's own notify
// socket to learn that every datagram sent there before it has been read (settleNotes).
const settleKey = "X_DAEMONKIT_SETTLED"

// settleBound bounds settleNotes: a reader held up (a log line blocked on a frozen disk)
// delays an end that long at most.
const settleBound = time.Second

// settleSeq tells one settleNotes's datagram from another's.
var settleSeq atomic.Uint64

// settleNotes returns once every datagram on the copy p's notify socket sent before it
// was called has been read and acted on (note), or after settleBound, or once ctx ends.
// A datagram is in the socket's queue the moment its sender's send returns, and the queue
// is read in order, so a datagram of its own, sent now, is read after them: as systemd
// reads a service's notifications before its SIGCHLD, a MAINPID= sent before the main
// process it replaces exited (nginx's binary upgrade) is taken before that exit is.
func (r *run) settleNotes(ctx context.Context, p *program) {
	if p.notifyPath == "" {
		return
	}
	token := strconv.FormatUint(settleSeq.Add(1), 10)
	done := make(chan struct{})
	p.settles.Store(token, done)
	defer p.settles.Delete(token)
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: p.notifyPath, Net: "unixgram"})
	if err != nil {
		return // the socket is gone: the copy has ended, and nothing is left to read
	}
	// A reader stalled behind a full queue (net.unix.max_dgram_qlen) would block the write
	// past the bound, which is the whole wait's.
	deadline := time.Now().Add(settleBound)
	_ = conn.SetWriteDeadline(deadline)
	_, err = conn.Write([]byte(settleKey + "=" + token))
	conn.Close()
	if err != nil {
		return
	}
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	case <-ctx.Done():
	}
}

// settled reports whether m is a datagram settleNotes sent (from this process, with its
// field), which the copy's reader then skips, and releases the settleNotes that waits
// for it.
func (p *program) settled(m notify.Message) bool {
	token, ok := m.Other[settleKey]
	if !ok || m.PID != os.Getpid() {
		return false
	}
	if done, ok := p.settles.LoadAndDelete(token); ok {
		close(done.(chan struct{}))
	}
	return true
}
