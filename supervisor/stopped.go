package supervisor

import (
	"context"
	"fmt"
	"time"

	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/daemonkit/daemonkit/server"
)

// awaitRunning returns once the copy p, whose readiness has just passed, is not stopped by
// a signal (SIGSTOP, SIGTSTP, a debugger's stop): a stopped process serves nothing, though
// --ready exec's grace passes all the same, a tcp check's connection is completed by the
// kernel for its listening socket, and --socket's is the supervisor's own. Until it goes
// on, that is the start's status (the launcher's word at its deadline) and what the error of
// a copy not ready in time ends with (a restart's, an upgrade's), so that they say why, rather than say "started" of a program that does
// nothing. It returns at once for a copy that has ended (the caller finds its end) or
// whose state cannot be read, and with ctx's error when ctx ends first.
func (r *run) awaitRunning(ctx context.Context, p *program) error {
	var tick *time.Ticker
	for {
		if !stoppedBySignal(p.pid) {
			if tick != nil {
				r.log.Info("the program goes on: it is no longer stopped by a signal", "pid", p.pid)
			}
			return nil
		}
		if tick == nil {
			r.log.Warn("not ready yet: the program is stopped by a signal", "pid", p.pid)
			server.StartStatus(r.ctx, fmt.Sprintf("the program (pid %d) is stopped by a signal (SIGSTOP or SIGTSTP): it serves nothing until SIGCONT ('kill -CONT %d')", p.pid, p.pid))
			p.said(fmt.Sprintf("the program (pid %d) was stopped by a signal (SIGSTOP or SIGTSTP), and served nothing", p.pid))
			tick = time.NewTicker(r.s.cfg.ReadyInterval)
			defer tick.Stop()
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// stoppedBySignal reports whether pid is stopped by a signal or a tracer; false when its
// state cannot be read.
func stoppedBySignal(pid int) bool {
	st, err := proc.ReadStat(pid)
	return err == nil && st.Stopped()
}

// runningOnce is err, the outcome of p's readiness check, or, when it passed, awaitRunning's.
func (r *run) runningOnce(ctx context.Context, p *program, err error) error {
	if err != nil {
		return err
	}
	return r.awaitRunning(ctx, p)
}
