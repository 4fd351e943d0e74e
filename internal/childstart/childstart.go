// Package childstart carries, in a serve function's context, that the work runs as a
// supervised child of its daemon (package cli's workload child: start --socket, --user as
// root, PID 1) and says how its start goes to that supervisor over sd_notify, as the
// daemon's handshake says it to start -d when the work runs in the daemon itself: so that
// server.ExtendStart and server.StartStatus work the same either way.
package childstart

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
)

// Start is a child's start, until it is ready.
type Start struct {
	ready atomic.Bool // Ready was called
	said  atomic.Bool // Status was called
}

type key struct{}

// With returns ctx carrying s.
func With(ctx context.Context, s *Start) context.Context { return context.WithValue(ctx, key{}, s) }

// From is the Start ctx carries, or nil.
func From(ctx context.Context) *Start {
	s, _ := ctx.Value(key{}).(*Start)
	return s
}

// Ready ends the start and tells the supervisor READY=1, with fields (KEY=VALUE) and, when
// the start said a status, an empty STATUS=, which clears it in a service manager the
// supervisor passes it on to: a status of the start says nothing once it is over. From
// then on Extend and Status say nothing, as they do in a daemon once its work is ready.
func (s *Start) Ready(fields ...string) {
	s.ready.Store(true)
	msg := append([]string{"READY=1"}, fields...)
	if s.said.Load() {
		msg = append(msg, "STATUS=")
	}
	_, _ = daemon.SdNotify(false, strings.Join(msg, "\n"))
}

// Extend asks the supervisor for d more from now (EXTEND_TIMEOUT_USEC=), until ready; a
// nil s does nothing.
func (s *Start) Extend(d time.Duration) {
	if s != nil && !s.ready.Load() {
		_, _ = daemon.SdNotify(false, fmt.Sprintf("EXTEND_TIMEOUT_USEC=%d", max(d, 0).Microseconds()))
	}
}

// Status tells the supervisor what the start is doing (STATUS=, as one Value), until
// ready; a nil s does nothing.
func (s *Start) Status(text string) {
	if s != nil && !s.ready.Load() {
		s.said.Store(true)
		_, _ = daemon.SdNotify(false, "STATUS="+Value(text))
	}
}

// Value is text as the value of one sd_notify field: a line break (\n, \r), which would
// end the field and begin another, and a NUL, which would end the message, are each a
// space.
func Value(text string) string {
	return strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ", "\x00", " ").Replace(text)
}
