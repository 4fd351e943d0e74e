package supervisor

import (
	"context"
	"fmt"
	"time"

	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/daemonkit/daemonkit/server"
)

// awaitRunning returns once the copy p, whose readiness has just passed, is not stopped by
// a signal (SIGSTOP, SIGTSTP; not a tracer's stop, which strace -p makes at every system
// call, and which SIGCONT does not end): a stopped process serves nothing, though
// --ready exec's grace passes all the same, a tcp check's connection is completed by the
// kernel for its listening socket, and --socket's is the supervisor's own. Until it goes
// on, that is the start's status (the launcher's word at its deadline) and what the error
// of a copy not ready in time ends with (a restart's, an upgrade's; see sayStopped), so
// that they say why, rather than say "started" of a program that does nothing. It returns
// at once for a copy that has ended (the caller finds its end) or whose state cannot be
// read, and with ctx's error when ctx ends first.
func (r *run) awaitRunning(ctx context.Context, p *program) error {
	var tick *time.Ticker
	for {
		if !stoppedBySignal(p.pid) {
			// Said too of a stop watchStopped reported, where SIGCONT came between the
			// check's pass and this look: watchStopped is called off by then.
			r.sayGoesOn(p)
			return nil
		}
		if tick == nil {
			r.sayStopped(p)
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

// watchStopped looks every ReadyInterval, until ctx ends, whether the copy p, which has
// not passed its readiness yet (it has not sent READY=1, its check fails), is stopped by a
// signal, and says so while it is (sayStopped): at the deadline, that is why it got
// nowhere, not "it sent no sd_notify message" or a check's "connection refused". Once it
// goes on, what it said or met before is its word again.
func (r *run) watchStopped(ctx context.Context, p *program) {
	tick := time.NewTicker(r.s.cfg.ReadyInterval)
	defer tick.Stop()
	var before, said *string // its word before it was stopped, and the one sayStopped gave
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		switch stopped := stoppedBySignal(p.pid); {
		case stopped && said == nil:
			before = p.lastWord.Load()
			said = r.sayStopped(p)
		case !stopped && said != nil:
			r.sayGoesOn(p)
			if p.lastWord.Load() == said && before != nil { // nothing newer was said meanwhile
				r.waiting(p, *before)
			}
			before, said = nil, nil
		}
	}
}

// sayStopped makes "the program is stopped by a signal" the start's status and the end of
// the error of the copy p if it is not ready in time, unless it is that already, logs it,
// and returns the word p.said keeps.
func (r *run) sayStopped(p *program) *string {
	was := fmt.Sprintf("the program (pid %d) was stopped by a signal (SIGSTOP or SIGTSTP), and served nothing", p.pid)
	defer p.stopSaid.Store(true) // once said: sayGoesOn follows it
	if w := p.lastWord.Load(); w != nil && *w == was {
		return w
	}
	r.log.Warn("not ready yet: the program is stopped by a signal", "pid", p.pid)
	server.StartStatus(r.ctx, fmt.Sprintf("the program (pid %d) is stopped by a signal (SIGSTOP or SIGTSTP): it serves nothing until SIGCONT ('kill -CONT %d')", p.pid, p.pid))
	p.said(was)
	return p.lastWord.Load()
}

// sayGoesOn logs that the copy p is no longer stopped by a signal, once for each stop
// sayStopped reported, whichever of watchStopped and awaitRunning sees it go on.
func (r *run) sayGoesOn(p *program) {
	if p.stopSaid.CompareAndSwap(true, false) {
		r.log.Info("the program goes on: it is no longer stopped by a signal", "pid", p.pid)
	}
}

// stoppedBySignal reports whether pid is stopped by a signal (not a tracer's stop: see
// proc.Stat.Stopped); false when its state cannot be read.
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
