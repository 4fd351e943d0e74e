package server

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/internal/chans"
	"github.com/daemonkit/daemonkit/internal/openfiles"
	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/daemonkit/daemonkit/logfile"
)

// reopens are the log's reopens, run beside the loop, one at a time: a reopen blocks for
// as long as the log's disk is frozen (its open and its line wait for the thaw), and a
// stop that comes meanwhile must be acted on at once. Those asked for while one runs
// follow it as one, whatever their number: the reopen after it sees the file then at the
// path, which is all they ask for.
type reopens struct {
	done chan struct{} // closed when the reopen under way ends; nil while none runs
	cur  reopenAsk     // the reopen under way
	next reopenAsk     // asked for while it ran: its zero value asks for nothing
}

// reopenAsk is what one or more reopen signals ask for: the log reopened (for why, a
// signal's name), the program's own logs too (LogReopener), and a reload after them.
type reopenAsk struct {
	log, program, reload bool
	why                  string
}

// merge adds b's asks to a's.
func (a reopenAsk) merge(b reopenAsk) reopenAsk {
	return reopenAsk{log: a.log || b.log, program: a.program || b.program, reload: a.reload || b.reload, why: b.why}
}

// redirectLog is logfile.Redirect, a seam for tests: a reopen stuck on a frozen disk.
var redirectLog = logfile.Redirect

// askReopen reopens the log after sig, beside the loop, or once more after the reopen
// under way. On SIGHUP (SIGUSR1 where SIGHUP is ignored: the nohup strategy, whose reload
// is SIGUSR1) a workload is reloaded once the reopen has ended (reopenEnded), and on
// SIGUSR1 a LogReopener reopens its own logs after the daemon's. w nil (a stop under way)
// asks for the daemon's log alone. ctx is the hooks' context. It never blocks.
func (r *runner) askReopen(ctx context.Context, w Workload, sig os.Signal) {
	ask := reopenAsk{log: true, why: signalLabel(sig)}
	if w != nil {
		_, lr := w.(LogReopener)
		ask.program = lr && sig == sigusr1
		ask.reload = sig == sighup || (r.opts.IgnoreHUP && sig == sigusr1)
	}
	if r.reopens.done != nil {
		r.reopens.next = r.reopens.next.merge(ask)
		return
	}
	r.startReopen(ctx, w, ask)
}

// startReopen runs ask's reopens on a thread that takes no signal (proc.GoDeaf): one that
// sleeps in the kernel behind a frozen disk must not take the stop's.
func (r *runner) startReopen(ctx context.Context, w Workload, ask reopenAsk) {
	done := make(chan struct{})
	r.reopens.done, r.reopens.cur = done, ask
	proc.GoDeaf(func() {
		defer close(done)
		r.reopenLog(ask.why)
		if lr, ok := w.(LogReopener); ok && ask.program {
			lr.ReopenLogs(ctx)
		}
	})
}

// reopenEnded is the loop's part once the reopen under way has ended (its done is closed):
// the reload it was asked with, unless a stop has begun (ctx is cancelled), then the
// reopen asked for meanwhile, if any. It reports whether a reload began.
func (r *runner) reopenEnded(ctx context.Context, w Workload) (reloaded bool) {
	ended, next := r.reopens.cur, r.reopens.next
	r.reopens.done, r.reopens.cur, r.reopens.next = nil, reopenAsk{}, reopenAsk{}
	if ended.reload && w != nil && ctx.Err() == nil {
		r.reloadNow(ctx, w)
		reloaded = true
	}
	if next.log {
		r.startReopen(ctx, w, next)
	}
	return reloaded
}

// reloadNow reloads a workload that can, beside the loop (startReload); one that cannot
// has had its log reopened, all there is to reload, and the service manager is told so.
func (r *runner) reloadNow(ctx context.Context, w Workload) {
	if rl, ok := w.(Reloader); ok {
		r.startReload(ctx, rl)
		return
	}
	r.manager.reloading() // nothing to reload but the log: done already
	r.manager.send("READY=1")
}

// reopenLog reopens the log, for the reason why (a signal's name); in the foreground there
// is none. It blocks while the log's disk is frozen: the loop runs it beside itself, for a
// signal (askReopen), and in checkPIDFile, at a check that found the state
// directory gone (a chore). A write of the record it makes after the stop's last one is
// dropped (records.ended).
func (r *runner) reopenLog(why string) {
	if r.opts.LogPath == "" {
		r.log.Debug("no log file to reopen: logging to stderr", "signal", why)
		return
	}
	// Its directory, gone since the start (deleted by hand, or by a cleaner of /tmp), is
	// made again and checked as start checks it, never made or opened through what another
	// user put at its path meanwhile (a symlink to a directory of root's).
	err := instance.MakeDir(filepath.Dir(r.opts.LogPath))
	if err == nil {
		err = r.redirect()
	}
	if err != nil {
		// The daemon's own limit on open files (a server holding as many connections as
		// it allows): raised only where it is started again.
		err = openfiles.Explain(err, "; then restart the instance: a daemon keeps the limit it started with")
		r.log.Error("could not reopen log", "signal", why, "error", err)
		// The line above went to the file logrotate moved away: the record tells status.
		problem := fmt.Sprintf("could not reopen it at %s (%s): %v; still writing to the file it had",
			time.Now().Format(time.DateTime), why, err)
		_ = r.records.logReopenFailed(problem)
		return
	}
	_ = r.records.setLogProblem("") // before the line that says it: whoever reads it sees both
	r.keepCrashOutput()
	r.log.Info("reopened log", "signal", why, "path", r.opts.LogPath)
}

// redirect makes the log's descriptors name the file now at LogPath: the daemon's own and
// 1 and 2 (LogDescriptors), or 1 and 2 alone. A 1 or 2 that the workload closed, whose
// number went to a file of its own (a database), is left as it is, and said once.
func (r *runner) redirect() error {
	d := r.opts.LogDescriptors
	if d == nil {
		return redirectLog(r.opts.LogPath, 1, 2)
	}
	left, err := redirectHeld(d, r.opts.LogPath)
	if len(left) > 0 && r.toldLeft.CompareAndSwap(false, true) {
		r.log.Warn("descriptors the work closed (its os.Stdout or os.Stderr) name files of its own now: left as they are, not made the log again", "fds", left)
	}
	return err
}

// redirectHeld is logfile.Descriptors.Redirect, a seam for tests, as redirectLog is.
var redirectHeld = (*logfile.Descriptors).Redirect

// awaitReopen waits, until deadline, for the reopens of the log under way at a stop (a
// reload just before it) to end, and for those asked for meanwhile, so that their lines
// ("reopened log") come before "stopped", the daemon's last: the log ended with a reopen,
// as if the daemon ran on. One stuck behind a frozen disk past deadline is left to the
// process's exit.
func (r *runner) awaitReopen(deadline time.Time) {
	for r.reopens.done != nil {
		if testHookAwaitReopen != nil {
			testHookAwaitReopen()
		}
		if _, ended := chans.By(r.reopens.done, deadline); !ended {
			return
		}
		r.reopenEnded(context.Background(), nil) // starts the one asked for meanwhile, if any
	}
}

// testHookAwaitReopen, when set by a test, runs as a stop begins to wait for a reopen of
// the log under way (awaitReopen): the test ends the reopen then.
var testHookAwaitReopen func()
