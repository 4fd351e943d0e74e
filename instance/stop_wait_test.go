package instance

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/daemonkit/daemonkit/internal/proc"
)

// TestWaitTimeoutTakesTheRecordedDrain: a wait whose daemon says, once its record names it,
// that its drain takes longer than the stop's timeout waits that long, and says so (stop
// reports it as the wait before SIGKILL); a shorter drain leaves the timeout as it was.
func TestWaitTimeoutTakesTheRecordedDrain(t *testing.T) {
	for _, c := range []struct {
		name         string
		drain, bound time.Duration
	}{
		{"longer drain", 200 * time.Millisecond, 200 * time.Millisecond},
		{"shorter drain", 5 * time.Millisecond, 30 * time.Millisecond},
	} {
		t.Run(c.name, func(t *testing.T) {
			h, err := proc.Open(startSleep(t))
			if err != nil {
				t.Fatal(err)
			}
			defer h.Close()
			asked := 0
			drain := func() time.Duration { // its record names it from the second look on
				if asked++; asked == 1 {
					return 0
				}
				return c.drain
			}
			start := time.Now()
			bound, err := waitTimeout(stopCtx(t), h, 30*time.Millisecond, drain)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("waitTimeout: %v, want the deadline passed", err)
			}
			if bound != c.bound || time.Since(start) < c.bound {
				t.Fatalf("waitTimeout gave it %v (%v passed), want %v", bound, time.Since(start), c.bound)
			}
		})
	}
}
