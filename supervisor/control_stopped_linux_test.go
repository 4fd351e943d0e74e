package supervisor

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/daemonkit/daemonkit/internal/testutil"
	"github.com/hashicorp/go-hclog"
)

// controlPair is a connected pair of Unix sockets: the supervisor's end, the client's.
func controlPair(t *testing.T) (server, client *net.UnixConn) {
	t.Helper()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	conns := make([]*net.UnixConn, 2)
	for i, fd := range fds {
		f := os.NewFile(uintptr(fd), "control")
		c, err := net.FileConn(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		conns[i] = c.(*net.UnixConn)
		t.Cleanup(func() { c.Close() })
	}
	return conns[0], conns[1]
}

// An upgrade that was done as a stop began, both found by a supervisor late to look (a
// loaded machine), is answered with its result: select picks either at random, and the
// stop's pick told a deploy whose upgrade succeeded that the instance stopped during it.
func TestControlUpgradeDoneAsStopBegan(t *testing.T) {
	t.Cleanup(func() { testHookBeforeReplySelect = nil })
	var ctx context.Context
	testHookBeforeReplySelect = func(reply chan UpgradeResult) {
		testutil.WaitFor(t, "the upgrade's result, and the stop", func() bool { return len(reply) > 0 && ctx.Err() != nil })
	}
	for i := range 40 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(context.Background())
		r := &run{s: New(Config{}, nil), ctx: ctx, log: hclog.NewNullLogger(), upgrades: make(chan upgradeRequest)}
		go func() { // the loop: the upgrade is done, and a stop begins
			req := <-r.upgrades
			req.reply <- UpgradeResult{OK: true, PID: 42}
			cancel()
		}()
		srv, client := controlPair(t)
		go r.handleControl(srv, new(upgradeSlot))
		if err := json.NewEncoder(client).Encode(ControlRequest{Op: "upgrade"}); err != nil {
			t.Fatal(err)
		}
		var res UpgradeResult
		line, err := bufio.NewReader(client).ReadBytes('\n')
		if err != nil || json.Unmarshal(line, &res) != nil || !res.OK {
			t.Fatalf("try %d: answer %q, %v: want the upgrade's result, OK", i, line, err)
		}
	}
}
