package supervisor

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
)

// TestUpgradeWithoutCopy: an upgrade that reaches the loop while no copy runs (a restart
// that did not get ready leaves a stand-in of pid 0) is refused, and nothing is signalled:
// draining pid 0 would have SIGKILLed the supervisor's own process group.
func TestUpgradeWithoutCopy(t *testing.T) {
	r := &run{s: New(Config{}, nil), ctx: context.Background(), log: hclog.NewNullLogger(),
		sockets: []bound{{Socket: Socket{Network: "tcp"}}}, copies: map[int]*program{}}
	standIn := &program{started: time.Now(), exited: closedStatus(failedStatus)}
	reply := make(chan UpgradeResult, 1)
	if np := r.doUpgrade(standIn, upgradeRequest{reply: reply}); np != nil {
		t.Fatalf("doUpgrade started a copy (pid %d) with none to hand over from", np.pid)
	}
	if res := <-reply; res.OK || !strings.Contains(res.Error, "the program is not running") {
		t.Errorf("reply %+v, want the program named not running", res)
	}
}

// TestUpgradeDuringBackOff: an upgrade that comes while the supervisor waits to restart
// the program is answered at once, not left waiting to be applied after its client gave
// up.
func TestUpgradeDuringBackOff(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := &run{s: New(Config{}, nil), ctx: ctx, log: hclog.NewNullLogger(), upgrades: make(chan upgradeRequest)}
	done := make(chan bool, 1)
	go func() { done <- r.backOff(time.Hour) }()
	reply := make(chan UpgradeResult, 1)
	r.upgrades <- upgradeRequest{reply: reply}
	if res := <-reply; res.OK || !strings.Contains(res.Error, "the program is not running") {
		t.Errorf("reply %+v, want the program named not running", res)
	}
	cancel()
	if stopped := <-done; !stopped {
		t.Error("backOff did not report the stop")
	}
}
