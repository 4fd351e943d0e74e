package supervisor

import (
	"context"
	"io"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
)

// An old copy that ends of its stop signal as its drain's bound passes, both found by a
// drain late to look (a loaded machine), drained: the upgrade must not say it was killed
// before it had drained (select picks either at random).
func TestDrainEndedAsItsBoundPassed(t *testing.T) {
	old := killPID
	t.Cleanup(func() { killPID = old })
	for i := range 40 {
		exited := make(chan syscall.WaitStatus, 1)
		killPID = func(int, syscall.Signal) error {
			select {
			case exited <- 0: // it ends of its stop signal at once
			default:
			}
			return nil
		}
		output := make(chan struct{})
		close(output)
		// No process has this pid, nor leads this group: above the kernel's PID_MAX_LIMIT.
		p := &program{pid: 1<<22 + 1, exited: exited, output: output}
		r := &run{s: New(Config{StopSignal: syscall.SIGTERM}, io.Discard), ctx: context.Background(),
			log: hclog.NewNullLogger(), drained: make(chan *program, 1)}
		r.draining.Add(1)
		var killed bool
		r.drain(p, 0, func(_ time.Duration, k bool, _ syscall.WaitStatus) { killed = k })
		if killed {
			t.Fatalf("try %d: the old copy, which ended of its stop signal, was said killed", i)
		}
	}
}
