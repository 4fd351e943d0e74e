package server

import (
	"testing"
	"time"

	"github.com/daemonkit/daemonkit/internal/testutil"
)

// TestManagerExtendsOnlyTheStart: a program's EXTEND_TIMEOUT_USEC= reaches the service
// manager, 5s over, while the start job lasts; once READY=1 is said, it does not (systemd
// would take it to extend RuntimeMaxSec= or a stop), as for a restart's copy.
func TestManagerExtendsOnlyTheStart(t *testing.T) {
	next := testutil.NotifySocket(t)
	m := &manager{enabled: true}
	m.extendStart(3 * time.Second)
	if got := next(); got != "EXTEND_TIMEOUT_USEC=8000000" {
		t.Errorf("during the start: %q, want EXTEND_TIMEOUT_USEC=8000000", got)
	}
	m.readyNow()
	if got := next(); got != "READY=1" {
		t.Errorf("ready: %q", got)
	}
	m.extendStart(3 * time.Second)
	m.send("STATUS=after")
	if got := next(); got != "STATUS=after" {
		t.Errorf("after READY=1: %q came, want nothing before STATUS=after", got)
	}
}
