package childstart_test

import (
	"context"
	"testing"
	"time"

	"github.com/daemonkit/daemonkit/internal/childstart"
	"github.com/daemonkit/daemonkit/internal/testutil"
)

// TestReadyClearsTheStartsStatus: a status said during the start is cleared by an empty
// STATUS= with READY=1 (a service manager would show it for the daemon's whole life
// otherwise); after ready, Status and Extend say nothing; a start that said no status
// sends READY=1 with its fields alone.
func TestReadyClearsTheStartsStatus(t *testing.T) {
	next := testutil.NotifySocket(t)
	s := &childstart.Start{}
	ctx := childstart.With(context.Background(), s)
	childstart.From(ctx).Status("loading\r\nREADY=1")
	if got, want := next(), "STATUS=loading READY=1"; got != want {
		t.Errorf("status: %q, want %q (a line break would begin a field of its own)", got, want)
	}
	s.Ready("X_LISTEN=127.0.0.1:1")
	if got, want := next(), "READY=1\nX_LISTEN=127.0.0.1:1\nSTATUS="; got != want {
		t.Errorf("ready: %q, want %q", got, want)
	}
	s.Status("late")
	s.Extend(time.Second)
	(&childstart.Start{}).Ready("X=2") // a marker: nothing came before it
	if got, want := next(), "READY=1\nX=2"; got != want {
		t.Errorf("after ready: %q came, want only the marker %q", got, want)
	}
	var none *childstart.Start // outside a child: nothing, and no panic
	none.Status("x")
	none.Extend(time.Second)
}
