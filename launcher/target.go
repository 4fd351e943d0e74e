package launcher

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/hashicorp/go-hclog"
)

// target is the daemon as Launch knows it: its pid and, while it runs, a handle that
// signals and waits for exactly that process.
type target struct {
	pid  int
	h    *proc.Process // nil if it was already gone when opened, or could not be opened
	gone bool          // it was already gone (or a zombie) when opened
}

// openTarget opens a handle on pid at once. The pid is right: the daemon is this process's
// child, or the re-exec intermediate's (which never reaps it), or, after the intermediate
// exits, this process's again (a subreaper), so it cannot be reused until Launch reaps it.
func openTarget(pid int, log hclog.Logger) *target {
	h, err := proc.Open(pid)
	switch {
	case err == nil:
		return &target{pid: pid, h: h}
	case errors.Is(err, proc.ErrGone):
		return &target{pid: pid, gone: true}
	default:
		log.Debug("no handle on the daemon; using its pid", "pid", pid, "error", err)
		return &target{pid: pid}
	}
}

// kill sends SIGKILL; a process already gone is fine.
func (t *target) kill() {
	switch {
	case t.gone:
	case t.h != nil:
		_ = t.h.Signal(syscall.SIGKILL) // an error means it is gone, or cannot be helped
	default:
		_ = syscall.Kill(t.pid, syscall.SIGKILL)
	}
}

// waitGone reports whether the process is gone (a zombie counts) within bound.
func (t *target) waitGone(bound time.Duration) bool {
	if t.gone {
		return true
	}
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	if t.h != nil {
		return t.h.Wait(ctx) == nil
	}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if alive, err := proc.Running(t.pid); err == nil && !alive {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-tick.C:
		}
	}
}

// close releases the handle. A nil target is fine.
func (t *target) close() {
	if t != nil && t.h != nil {
		_ = t.h.Close()
	}
}

// waitProcess reaps p, a child of this process, waiting at most bound before it kills it,
// and bound again after that.
func waitProcess(p *os.Process, bound time.Duration) (syscall.WaitStatus, error) {
	type result struct {
		ps  *os.ProcessState
		err error
	}
	ch := make(chan result, 1)
	go func() {
		ps, err := p.Wait()
		ch <- result{ps, err}
	}()
	timer := time.NewTimer(bound)
	defer timer.Stop()
	for killed := false; ; killed = true {
		select {
		case r := <-ch:
			if r.err != nil {
				return 0, fmt.Errorf("wait for pid %d: %w", p.Pid, r.err)
			}
			ws, _ := r.ps.Sys().(syscall.WaitStatus)
			return ws, nil
		case <-timer.C:
			if killed {
				return 0, fmt.Errorf("pid %d still running after SIGKILL", p.Pid)
			}
			_ = p.Kill()
			timer.Reset(bound)
		}
	}
}

// describeWait says how a process reaped by waitProcess ended.
func describeWait(ws syscall.WaitStatus, err error) string {
	if err != nil {
		return err.Error()
	}
	return describeStatus(ws)
}
