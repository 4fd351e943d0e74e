package instance

import (
	"context"
	"errors"
	"testing"

	"github.com/daemonkit/daemonkit/pidfile"
)

// TestEmptyPaths: Inspect and Stop given no paths say so, rather than "not running" and
// "was not running": a caller that built its paths wrong is not told no daemon runs.
func TestEmptyPaths(t *testing.T) {
	if st, err := Inspect(Paths{}); !errors.Is(err, pidfile.ErrEmptyPath) {
		t.Errorf("Inspect(Paths{}) = %+v, %v, want an error wrapping pidfile.ErrEmptyPath", st, err)
	}
	if res, err := Stop(context.Background(), Paths{}, StopOptions{}); !errors.Is(err, pidfile.ErrEmptyPath) {
		t.Errorf("Stop(Paths{}) = %+v, %v, want an error wrapping pidfile.ErrEmptyPath", res, err)
	}
}
