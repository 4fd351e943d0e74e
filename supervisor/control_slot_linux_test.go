package supervisor

import (
	"bufio"
	"context"
	"encoding/json"
	"testing"

	"github.com/hashicorp/go-hclog"
)

// TestControlFreesSlotBeforeAnswer: an upgrade's slot is given up before its answer is
// written, so that a script's `upgrade && upgrade` never finds the first one still
// running ("another upgrade runs", exit 3), however late the supervisor's goroutine runs
// after the answer.
func TestControlFreesSlotBeforeAnswer(t *testing.T) {
	server, client := controlPair(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := &run{s: New(Config{}, nil), ctx: ctx, log: hclog.NewNullLogger(), upgrades: make(chan upgradeRequest)}
	go func() { // the loop: every upgrade succeeds at once
		for {
			select {
			case req := <-r.upgrades:
				req.reply <- UpgradeResult{OK: true}
			case <-ctx.Done():
				return
			}
		}
	}()
	var busy upgradeSlot
	slotFree := make(chan bool, 1)
	testHookAnswered = func() { // the client has its answer: is the slot free?
		_, ok := busy.take()
		slotFree <- ok
	}
	defer func() { testHookAnswered = nil }()
	go r.handleControl(server, &busy)
	if err := json.NewEncoder(client).Encode(ControlRequest{Op: "upgrade"}); err != nil {
		t.Fatal(err)
	}
	var res UpgradeResult
	line, err := bufio.NewReader(client).ReadBytes('\n')
	if err != nil || json.Unmarshal(line, &res) != nil || !res.OK {
		t.Fatalf("answer %q, %v: want OK", line, err)
	}
	if !<-slotFree {
		t.Error("the slot was still taken once the answer was written: a next upgrade would be told another runs")
	}
}
