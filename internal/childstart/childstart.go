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
type Start struct{ ready atomic.Bool }

type key struct{}

// With returns ctx carrying s.
func With(ctx context.Context, s *Start) context.Context { return context.WithValue(ctx, key{}, s) }

// From is the Start ctx carries, or nil.
func From(ctx context.Context) *Start {
	s, _ := ctx.Value(key{}).(*Start)
	return s
}

// Ready ends the start: from then on Extend and Status say nothing, as they do in a
// daemon once its work is ready.
func (s *Start) Ready() { s.ready.Store(true) }

// Extend asks the supervisor for d more from now (EXTEND_TIMEOUT_USEC=), until ready; a
// nil s does nothing.
func (s *Start) Extend(d time.Duration) {
	if s != nil && !s.ready.Load() {
		_, _ = daemon.SdNotify(false, fmt.Sprintf("EXTEND_TIMEOUT_USEC=%d", max(d, 0).Microseconds()))
	}
}

// Status tells the supervisor what the start is doing (STATUS=, one line), until ready;
// a nil s does nothing.
func (s *Start) Status(text string) {
	if s != nil && !s.ready.Load() {
		_, _ = daemon.SdNotify(false, "STATUS="+strings.NewReplacer("\n", " ", "\x00", " ").Replace(text))
	}
}
