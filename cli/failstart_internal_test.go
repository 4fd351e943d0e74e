package cli

import (
	"errors"
	"strings"
	"testing"

	"github.com/coreos/go-systemd/v22/daemon"
	"github.com/hashicorp/go-hclog"

	"github.com/daemonkit/daemonkit/internal/testutil"
)

// TestFailStartOnlyToAHearingSupervisor: a work child whose supervisor does not hear
// failKey (an older release's, under which an upgrade runs the new copy) sends nothing
// and returns its error at once, for the child to print; one whose supervisor hears it
// sends the reason as one field, and returns once stopped.
func TestFailStartOnlyToAHearingSupervisor(t *testing.T) {
	next := testutil.NotifySocket(t)
	why := errors.New("open the database:\r\nit is locked")
	stopped := make(chan struct{})
	if err := failStart(stopped, false, why, hclog.NewNullLogger()); err != why {
		t.Errorf("unheard: %v, want the error itself", err)
	}
	daemon.SdNotify(false, "X=marker")
	if got := next(); got != "X=marker" {
		t.Errorf("unheard: %q was sent", got)
	}
	close(stopped)
	var exit *exitError
	if err := failStart(stopped, true, why, hclog.NewNullLogger()); !errors.As(err, &exit) || exit.ExitCode() != exitFailed {
		t.Errorf("heard: %v, want exit %d", err, exitFailed)
	}
	if got, want := next(), failKey+"=open the database: it is locked"; got != want {
		t.Errorf("heard: %q, want %q", got, want)
	}
}

// TestNotifyValueCutsWhole: a reason too long for one message is cut at a character's
// start, and said not to be whole.
func TestNotifyValueCutsWhole(t *testing.T) {
	long := strings.Repeat("é", maxFailText)
	got, whole := notifyValue(long)
	if whole || len(got) > maxFailText+3 || !strings.HasSuffix(got, "é...") {
		t.Errorf("notifyValue(%d bytes) = %d bytes, whole %v", len(long), len(got), whole)
	}
	if got, whole := notifyValue("a\nb"); got != "a b" || !whole {
		t.Errorf("notifyValue(a\\nb) = %q, %v", got, whole)
	}
}
