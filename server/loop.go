package server

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/internal/chans"
	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/daemonkit/daemonkit/logfile"
	"github.com/daemonkit/daemonkit/pidfile"
)

// loop waits for a stop, a log reopen, or the workload ending on its own, and checks the
// pidfile whenever its watch reports a change (Linux), and every PIDFileCheck where it
// cannot watch it, or every pidFileBackstop at least where it can.
func (r *runner) loop(ctx context.Context, w Workload, cancel context.CancelCauseFunc, done <-chan error) error {
	every := r.opts.PIDFileCheck
	watch, err := r.pf.Watch(r.besideWatched()...)
	if err != nil {
		r.log.Debug("the pidfile is not watched; polling it", "every", every.String(), "error", err)
	} else {
		r.watch = watch                             // before any chore: checkBeside watches the record again
		defer func() { _ = watch.CloseAsync()() }() // begun at a stop, or now
		every = max(every, pidFileBackstop)
	}
	check := time.NewTicker(every)
	defer check.Stop()
	if watch != nil {
		r.askChores(recheckPIDFile) // what happened before the watch began, e.g. between ready and here
	}
	// The hooks' context (reload's): the daemon's logger, as Serve's, and cancelled by a stop.
	hooks, stopHooks := context.WithCancelCause(hclog.WithContext(ctx, r.log))
	defer stopHooks(nil)
	var countDrops <-chan time.Time // armed by the first drop since the last count
	var restamp restamper           // armed by a reload
	var watchdog <-chan time.Time
	judge := r.judge // the terminal's hangup, with Options.HangupStops; begun by run
	// hungUp stops the work for its terminal's hangup, as SIGTERM would.
	hungUp := func(why string) error {
		watch.CloseAsync()
		r.log.Info("terminal hung up: stopping", "why", why)
		stopHooks(Stopped{sighup})
		return r.stop(w, cancel, done, Stopped{sighup})
	}
	for _, sig := range r.held { // taken while the work started, and not the hangup's
		r.askReopen(hooks, w, sig)
	}
	r.held = nil
	if every := r.manager.watchdog(); every > 0 {
		t := time.NewTicker(every)
		defer t.Stop()
		watchdog = t.C
	}
	for {
		select {
		case <-watchdog:
			r.manager.send("WATCHDOG=1")
		case <-watch.Changes():
			r.askChores(recheckPIDFile)
		case <-check.C:
			r.askChores(recheckPIDFile)
		case <-r.chores.done:
			if ended, ours := r.choresEnded(); ended&recheckPIDFile != 0 {
				r.rechecked(watch, check, every, ours)
			}
		case <-r.drops:
			if countDrops == nil {
				countDrops = time.After(dropCountDelay)
			}
		case <-countDrops:
			countDrops = nil
			r.askChores(countDropped)
		case sig := <-r.sigs.stop:
			watch.CloseAsync() // no longer needed; its close takes the kernel a while
			stopHooks(Stopped{sig})
			return r.stop(w, cancel, done, Stopped{sig})
		case <-ctx.Done():
			watch.CloseAsync()
			stopHooks(context.Cause(ctx))
			return r.stop(w, cancel, done, context.Cause(ctx))
		case sig := <-r.sigs.reopen:
			if why := judge.signal(sig, time.Now()); why != "" {
				return hungUp(why)
			}
			r.askReopen(hooks, w, sig)
		case <-judge.hangup():
			if why := judge.hungUp(time.Now()); why != "" {
				return hungUp(why)
			}
		case <-judge.quietAfter():
			judge.runsOn(r.log)
		case <-r.reopens.done:
			if r.reopenEnded(hooks, w) {
				restamp.reloaded()
			}
		case <-restamp.c:
			restamp.due()
			r.askChores(rewriteRecord)
		case <-r.reload.done:
			r.reloadEnded(hooks, w.(Reloader))
		case sig := <-r.sigs.forward:
			w.(Forwarder).Forward(sig)
		case err := <-done:
			watch.CloseAsync() // as at a stop: its close then waits for nothing at the end
			if err == nil {
				err = errors.New("Serve returned nil while it was not asked to stop: it must run until its context is cancelled")
			}
			var clean CleanEnd
			failed := !errors.As(err, &clean) || !clean.Clean()
			if failed {
				r.log.Error("workload ended on its own", "error", err)
			} else {
				r.log.Info("workload ended on its own", "reason", err)
			}
			r.records.endedOnItsOwn("failed: "+err.Error(), failed)
			return errors.Join(err, r.cleanup())
		}
	}
}

// stop cancels the workload with cause, waits for it to drain, logs "stopped" and cleans
// up. If the drain is cut short, a Killer workload is told to kill what it runs, and given
// a little longer to return. The run ends with the workload's error when that carries an
// exit code (a supervised program's status), so the process exits as its program did.
func (r *runner) stop(w Workload, cancel context.CancelCauseFunc, done <-chan error, cause error) error {
	began := time.Now()
	// A stop from another shell meanwhile waits for this one, rather than cut its drain
	// short as a second stop signal by hand does (see instance.Stop). The record says so
	// while the work drains, not before: its write (a sync) would delay every stop. And
	// only once the drain has taken stoppingMarkDelay: a work that drains sooner goes from
	// running to stopped in one write (cleanup's), a sync less on the way to its exit. But
	// at once for a supervised program: its end, published as it drains, is written in its
	// own right, and a record that said running then would tell status and reload of a
	// daemon that runs on without its program (Status.Program's Gone, a reload it takes for
	// a log reopen). And before the program is signalled, so that one that ends the
	// instant it gets its stop signal is never seen running without it (status: "its
	// program's main process has ended ..."): a write, 1 to 2 ms more on a stop; one
	// that hangs (a frozen disk) holds the signal up for stoppingMarkFirst at most.
	marked, drained := make(chan struct{}), make(chan struct{})
	// signal is closed once the work may be told: at once without a program, else once marked.
	signal := make(chan struct{})
	// A thread asleep behind the record's frozen disk takes no second stop signal.
	proc.GoDeaf(func() {
		defer close(marked)
		if !r.records.supervises() {
			close(signal)
			due := time.NewTimer(stoppingMarkDelay)
			defer due.Stop()
			select {
			case <-drained:
				return
			case <-due.C:
			}
			_ = r.records.update(func(rec *instance.Record) { rec.State = instance.StateStopping })
			return
		}
		_ = r.records.update(func(rec *instance.Record) { rec.State = instance.StateStopping })
		close(signal)
	})
	first := time.NewTimer(stoppingMarkFirst)
	select {
	case <-signal:
	case <-first.C:
	}
	first.Stop()
	// The work is told before a log line is written: one may block (a reader that stopped
	// reading, a frozen disk), and must not hold up a program's stop signal.
	cancel(cause)
	r.boundLog(began)
	r.log.Info("stopping", "reason", cause.Error(), "shutdown_timeout", r.opts.ShutdownTimeout.String())
	r.reload.stopping(r.manager) // STOPPING=1, after which no reload says READY=1
	cut, err := r.drain(w, done, began)
	close(drained)
	if cut != nil && cut.record != "" {
		r.records.cutShort(instance.DrainCutShort + cut.record)
	}
	grace := time.Now().Add(min(time.Until(began.Add(r.opts.ShutdownTimeout)), ReloadGrace))
	r.awaitReload(time.Until(grace))
	r.awaitReopen(grace)
	<-marked // before cleanup marks it stopped
	var exitErr error
	if coded := (interface{ ExitCode() int })(nil); errors.As(err, &coded) {
		exitErr = err
	} else if err != nil && cut == nil {
		r.log.Warn("drain ended with an error", "error", err)
	}
	r.log.Info("stopped", "reason", cause.Error(), "drain", time.Since(began).Round(time.Millisecond).String())
	return errors.Join(exitErr, r.cleanup())
}

// stoppingMarkDelay is how long a stop's drain runs before the record says stopping, for
// a work that supervises no program (records.supervises). A stop of a daemon whose record
// says so waits for it rather than signal it again, reload refuses it, and status says
// "stopping"; within the delay they see it running, as they would have a moment earlier,
// and a second stop signal within sameStopWindow is taken for the same stop. Most drains
// end sooner (the built-in server's in under a millisecond), and the stop is then a
// record write shorter.
var stoppingMarkDelay = 10 * time.Millisecond

// logStall is how long, once a stop's ShutdownTimeout has passed, a write to the log that
// is blocked may stay so before the daemon gives up on it (see logfile.Writer.Bound): a
// slow reader that still reads gets each write that long, one that stopped reading for
// good cannot hold the daemon's end past the time a stop gives it (ShutdownTimeout and
// KillGrace).
const logStall = 3 * time.Second

// boundLog bounds the wait behind a blocked write to the log, for a stop that began at
// began: until ShutdownTimeout later, or logStall after the write began if that is later.
// The lines given up on are counted in the record as dropped (countDrops), with their cause.
func (r *runner) boundLog(began time.Time) {
	if r.opts.LogWriter != nil {
		r.opts.LogWriter.Bound(began.Add(r.opts.ShutdownTimeout), logStall)
	}
}

// drain waits for the workload cancelled at began to return, as wait does; if the drain is
// cut short, a Killer workload is told to kill what it runs and given KillGrace more. A
// DrainBounder whose work has ended by then is waiting for its output alone: the runtime
// stops waiting, and kills nothing. It returns the cut (nil if the workload ended in
// time), and the workload's error, or why the drain was cut.
func (r *runner) drain(w Workload, done <-chan error, began time.Time) (cut *drainCut, err error) {
	err = r.waitWork(w, done, r.sigs.stop, began)
	var dc *drainCut
	if !errors.As(err, &dc) {
		if r.ranOut(w, err, began) {
			dc = r.overBound(nil)
			r.log.Warn("drain cut short", "error", dc, "work_error", err)
			return dc, err
		}
		return nil, err
	}
	if dc.outputOnly {
		r.log.Warn("not waiting for the work's last output any more", "reason", err)
		return dc, err
	}
	r.log.Warn("drain cut short", "error", err)
	if k, ok := w.(Killer); ok {
		k.Kill()
		over := r.killGraceOver
		if over == nil {
			over = func() <-chan time.Time { return time.After(KillGrace) }
		}
		select {
		case err = <-done:
		case <-over():
			// It may have returned as the grace passed, both found by a runtime late to
			// look: select picks either at random, and it ended, of its own error.
			if own, ended := chans.Came(done); ended {
				err = own
			} else {
				r.log.Error("the workload did not end after it was killed", "after", KillGrace.String())
			}
		}
	}
	return dc, err
}

// ranOut says that the workload w, cancelled at began, ended with err because its own
// drain ran out of the time it was given, the same ShutdownTimeout (the built-in server's
// "drain http: context deadline exceeded"): that is the drain cut short, not an error of
// its own. Its deadline passes just after the runtime's bound, and on a loaded machine its
// end is there before the runtime looks, and is taken (waitWork): the log then says what
// it means all the same. A DrainBounder's bound is longer, and says so itself.
func (r *runner) ranOut(w Workload, err error, began time.Time) bool {
	_, own := w.(DrainBounder)
	return !own && errors.Is(err, context.DeadlineExceeded) && time.Since(began) >= r.opts.ShutdownTimeout
}

// KillGrace bounds how long the runtime waits, past ShutdownTimeout, for a Killer workload
// to return after Kill: a daemon asked to stop is gone within ShutdownTimeout and KillGrace
// (and its own exit), which is how long stop and a systemd unit wait by default. A
// DrainBounder kills what it runs itself, within that time; the runtime's backstop, KillGrace
// past ShutdownTimeout, kills it again, and gives it KillGrace more, only if it did not.
const KillGrace = 5 * time.Second

// sameStopWindow is how soon after a stop began a SIGTERM is taken for the same stop, not
// for a second one that hurries the drain: stop commands that race each send one before
// the daemon's record says stopping (a second stop then only waits). A second SIGINT
// (Ctrl-C twice) hurries at once, as does a SIGTERM after the window.
var sameStopWindow = time.Second

// drainCut says why the runtime stopped waiting for a workload to drain; outputOnly says
// that the work had ended (DrainBounder), only its last output being written still.
// record is the same in short, after instance.DrainCutShort in the record's last exit:
// "" where the work's own end is what the record keeps (outputOnly).
type drainCut struct {
	why, record string
	outputOnly  bool
}

func (e *drainCut) Error() string { return e.why }

// wait waits for the workload cancelled at begun to return, until ShutdownTimeout after
// begun (a log line that blocked meanwhile takes nothing from the bound), or until a
// second stop signal arrives on again, as waitWork does for a workload that does not bound
// its own drain.
func (r *runner) wait(done <-chan error, again <-chan os.Signal, begun time.Time) error {
	return r.waitWork(nil, done, again, begun)
}

// waitWork waits for the workload w cancelled at begun to return, until ShutdownTimeout
// after begun (a log line that blocked meanwhile takes nothing from the bound), KillGrace
// more for a DrainBounder, which bounds its drain itself, or until a second stop signal
// arrives on again. Log reopens are served meanwhile, beside it. The error says why the
// drain was cut short, or is the workload's own.
func (r *runner) waitWork(w Workload, done <-chan error, again <-chan os.Signal, begun time.Time) error {
	bounder, own := w.(DrainBounder)
	bound := r.opts.ShutdownTimeout
	if own {
		bound += KillGrace
	}
	timer := time.NewTimer(time.Until(begun.Add(bound)))
	defer timer.Stop()
	for {
		select {
		case err := <-done:
			return err
		case <-timer.C:
			// The workload may have returned as the bound passed, or as a second stop came
			// (below), both found by a loop late to look: select picks either at random. The
			// end that came is the drain's outcome, not a cut, which would lose the
			// workload's error (its program's exit code) and kill what had ended.
			if err, ended := chans.Came(done); ended {
				return err
			}
			return r.overBound(bounder)
		case sig := <-again:
			if sig == sigterm && time.Since(begun) < sameStopWindow {
				// Two stops that raced (stop and restart, two shells, stop --all): each sent
				// SIGTERM before the record said stopping. The same stop, not a hurry.
				r.log.Info("a second SIGTERM at once: taken for the same stop", "within", sameStopWindow.String())
				continue
			}
			if err, ended := chans.Came(done); ended {
				return err
			}
			return &drainCut{why: fmt.Sprintf("second stop signal (%s): not waiting for work in flight", signalLabel(sig)),
				record: fmt.Sprintf("by a second stop signal (%s)", signalLabel(sig))}
		case sig := <-r.sigs.reopen:
			r.askReopen(context.Background(), nil, sig)
		case <-r.reopens.done:
			r.reopenEnded(context.Background(), nil)
		}
	}
}

// overBound is why a drain that outlasted its bound is cut: a workload's work still in
// flight, or, for a DrainBounder (bounder, nil if w is not one), that it did not end
// though it bounds its drain itself, or that only its output is being written still.
func (r *runner) overBound(bounder DrainBounder) *drainCut {
	switch {
	case bounder == nil:
		return &drainCut{why: fmt.Sprintf("still draining after %s, its shutdown timeout: what it still served is cut off (give it a longer --shutdown-timeout if its work needs longer to finish)", r.opts.ShutdownTimeout),
			record: fmt.Sprintf("at its --shutdown-timeout (%s)", r.opts.ShutdownTimeout)}
	case bounder.WorkEnded():
		return &drainCut{why: fmt.Sprintf("its work ended, but its last output was still being written %s after its shutdown timeout %s (a log reader that reads slowly): the rest of it is not written", KillGrace, r.opts.ShutdownTimeout), outputOnly: true}
	}
	return &drainCut{why: fmt.Sprintf("still draining %s after its shutdown timeout %s, though it bounds its own drain: killing what it runs", KillGrace, r.opts.ShutdownTimeout),
		record: fmt.Sprintf("%s after its --shutdown-timeout (%s)", KillGrace, r.opts.ShutdownTimeout)}
}

// restampDelay is how long after a reload the daemon writes its record again, stamped
// alive then (instance.Record.AliveTicks): the processes a reload makes (nginx's new
// workers, whose titles write over the run's mark) have started by then, and so are found
// by their session if the supervisor is killed later (see instance.Leftovers).
const restampDelay = 5 * time.Second

// restamper says when the record is due to be written again after reloads: restampDelay
// after a reload, and for a burst, restampDelay after its first and again after its last,
// so that a storm of reloads never puts the write off. Its zero value is disarmed.
type restamper struct {
	c     <-chan time.Time                     // receives when the write is due; nil while disarmed
	again bool                                 // a reload came while armed
	after func(time.Duration) <-chan time.Time // nil: time.After
}

// reloaded arms the write, or, if it is armed, marks that another is due after it.
func (s *restamper) reloaded() {
	if s.c != nil {
		s.again = true
		return
	}
	s.arm()
}

// due is called when c has received: the caller writes the record now, and s arms the next
// write if a reload came meanwhile.
func (s *restamper) due() {
	s.c = nil
	if s.again {
		s.again = false
		s.arm()
	}
}

func (s *restamper) arm() {
	after := s.after
	if after == nil {
		after = time.After
	}
	s.c = after(restampDelay)
}

// pidFileBackstop is how often a daemon whose pidfile is watched checks it anyway: inotify
// misses changes made through another machine (NFS) and a rename of a directory above.
const pidFileBackstop = time.Minute

// rechecked is the loop's part once a check of the pidfile (a chore) has ended: it watches
// what the pidfile holds now. While the path is not its own (ours false: another process
// holds what is there, and nothing reports when that one lets go), it checks every
// PIDFileCheck; otherwise every every. It never blocks: its warning is logged beside the
// loop, as the log's disk may be frozen.
func (r *runner) rechecked(watch *pidfile.Watcher, check *time.Ticker, every time.Duration, ours bool) {
	if ours {
		check.Reset(every)
	} else {
		check.Reset(r.opts.PIDFileCheck)
	}
	if err := watch.Rearm(); err != nil {
		go r.log.Warn("could not watch the pidfile again; checking it every "+every.String(), "error", err)
	}
}

// checkPIDFile makes sure the pidfile's path still names the file this daemon holds: if it
// was deleted or replaced by hand, the daemon takes the path back (a stale or empty file
// put there is taken over), so that status, stop and a second start keep finding it. If
// another daemon holds what is there now, it says so loudly: two daemons claim the name.
// ours is whether the path names its file when it returns.
func (r *runner) checkPIDFile() (ours bool) {
	err := r.pf.Check()
	switch {
	case err == nil:
		return true
	case errors.Is(err, os.ErrClosed):
		return false // a check still under way when the stop released it: nothing to put back
	case errors.Is(err, pidfile.ErrOverwritten):
		return r.rewritePIDFile(err)
	}
	// Taken back before a line says so: the line may wait for the log's frozen disk, and
	// meanwhile status would say this daemon is not running, and a start would run another.
	// Its directory, gone with it (rm -rf of the state directory), is made again and checked
	// as start checks it first: another user's symlink put at its path meanwhile, in a
	// directory others may write, is refused, and nothing of the daemon's goes where it leads.
	restored := instance.MakeDir(filepath.Dir(r.opts.PIDFile))
	if restored == nil {
		restored = r.pf.Restore()
	}
	var recErr error
	if restored == nil {
		recErr = r.restoreBeside()
	}
	r.log.Warn("the pidfile is not this daemon's any more; taking it back", "problem", err)
	var held *pidfile.LockedError
	switch err := restored; {
	case err == nil:
		r.log.Info("pidfile restored", "path", r.opts.PIDFile)
		if recErr != nil {
			r.log.Warn("could not write the record again", "error", recErr)
		}
		if r.opts.LogPath != "" && !logfile.Names(r.opts.LogPath, r.logFD()) {
			r.reopenLog("its file was deleted or replaced")
		}
		if r.restorer != nil {
			r.restorer.Restore() // after the reopen: the line it logs goes to the log at its path
		}
		return true
	case errors.Is(err, os.ErrClosed):
		// The stop released it meanwhile.
	case errors.As(err, &held):
		r.log.Error("ANOTHER DAEMON HOLDS THIS INSTANCE'S PIDFILE: two daemons claim it; stop one of them by pid",
			"path", r.opts.PIDFile, "other_pid", held.PID, "this_pid", os.Getpid())
	default:
		r.log.Error("could not restore the pidfile: status and stop will find this daemon by its record, or by the lock it holds on its pidfile (deleted)", "error", err)
	}
	return false
}

// restoreBeside puts back the record, which this daemon alone writes while it runs, with
// a pidfile that was deleted, most often with its whole directory (rm -rf of the state
// directory): without it, status could not say what runs, and restart could not start it
// again. checkPIDFile then reopens the log, if its path went too (logs would show nothing
// while the daemon wrote on into a deleted file), and has the workload put back what it
// keeps there (Restorer): the reopen, and every line logged, may wait for the log's frozen
// disk, the record's write must not. It returns why the record could not be written.
func (r *runner) restoreBeside() error {
	return r.records.update(func(*instance.Record) {})
}

// checkBeside puts back, with the pidfile in place, what was deleted beside it alone: the
// record (status would take the daemon for one still starting) and what the workload keeps
// there (a supervisor's control socket, which upgrade dials). Each costs a stat when all is
// well; it runs at every check of the pidfile.
func (r *runner) checkBeside() {
	if r.restorer != nil {
		r.restorer.Restore()
	}
	if r.opts.RecordPath == "" {
		return
	}
	for restored := 0; ; restored++ {
		// Watched before the look: a record written and deleted after it wakes the next
		// check, where one watched after the look could go unseen till the backstop.
		_ = r.watch.WatchBeside()
		if _, err := os.Lstat(r.opts.RecordPath); !errors.Is(err, fs.ErrNotExist) || restored == 3 {
			return // there; or deleted again each time it was back: the backstop's check
		}
		wrote, err := r.records.restore()
		switch {
		case err != nil:
			r.log.Warn("could not write the record again", "error", err)
			return
		case !wrote:
			return // not this daemon's to write any more (its run is over), or not yet
		}
		r.log.Info("record restored", "path", r.opts.RecordPath)
	}
}

// overwriteLogEvery bounds the lines a pidfile written over again and again (another
// manager given the same path, a loop in a script) costs the log: one per this long, with
// a count.
const overwriteLogEvery = time.Minute

// rewritePIDFile writes the daemon's pid again into its pidfile, whose content was written
// over (err, from Check): its content is what proves it the daemon to stop and status
// where its record cannot. It says so in the log, or that it could not, at most once an
// overwriteLogEvery, with how many times it was written over since the last line. It
// reports whether the file is this daemon's, with its pid.
func (r *runner) rewritePIDFile(err error) bool {
	restored := r.pf.Restore() // the same file: its pid written over what it holds
	r.overwrites++
	if now := time.Now(); now.Sub(r.overwriteLogged) >= overwriteLogEvery {
		r.overwriteLogged = now
		if restored != nil {
			r.log.Error("could not write this daemon's pid again into its pidfile: stop and status find it by its record only", "problem", err, "error", restored, "times", r.overwrites)
		} else {
			r.log.Warn("the pidfile's content was written over: its pid written again", "problem", err, "times", r.overwrites)
		}
		r.overwrites = 0
	}
	return restored == nil
}

// dropCountDelay is how long after a dropped line the record counts it: a program that
// writes on while the disk is full costs one record write a second at most, not one a
// line.
const dropCountDelay = time.Second

// countDrops writes the log writer's count of dropped lines into the record, so that
// status can say lines were lost while the log's disk is full. That it could not is
// logged once until it can again: the line most often goes to the same full disk, and is
// one more drop, which would count again, and log again, without end.
func (r *runner) countDrops() {
	if r.opts.LogWriter == nil {
		return
	}
	r.dropsMu.Lock() // a count beside the loop (a chore), and the stop's last one
	defer r.dropsMu.Unlock()
	dropped, cause := logDrops(r.opts.LogWriter)
	if dropped == r.dropsCounted {
		return // nothing new: no record to write (every stop asks)
	}
	err := r.records.update(func(rec *instance.Record) { rec.DroppedLogLines, rec.DroppedLogCause = dropped, cause })
	switch {
	case err != nil && !r.dropCountFailing:
		r.dropCountFailing = true
		r.log.Warn("could not count dropped log lines in the record", "error", err)
	case err == nil:
		r.dropCountFailing, r.dropsCounted = false, dropped
	}
}

// logDrops is how many lines w dropped, and why the last of them was (empty if none was, or
// w is nil).
func logDrops(w *logfile.Writer) (dropped uint64, cause string) {
	if w == nil {
		return 0, ""
	}
	if err := w.LastError(); err != nil {
		cause = err.Error()
	}
	return w.Dropped(), cause
}

// cleanup kills what a Sweeper's work left running, marks the record stopped (it is
// kept), then removes the pidfile while its lock is still held, then drops the lock.
// Failures are logged and returned.
func (r *runner) cleanup() error {
	if r.sweeper != nil {
		if killed := r.sweeper.Sweep(); len(killed) > 0 {
			r.log.Warn("killed what the work left running", "pids", killed)
		}
	}
	r.countDrops() // what the last second dropped: drops are counted a second late
	var errs []error
	if err := r.records.stopped(); err != nil {
		errs = append(errs, err)
	}
	if r.opts.RecordPath != "" { // whatever HangupStops: a mark an older reload wrote
		instance.RemoveReloadMark(r.opts.RecordPath) // a reload's that came as it stopped
	}
	if err := r.pf.Release(); err != nil {
		errs = append(errs, err) // pidfile names the step and the path
	}
	err := errors.Join(errs...)
	if err != nil {
		r.log.Error("clean up", "error", err)
	}
	return err
}

// besideWatched is what the pidfile's watch watches beside it: the record, which
// checkBeside puts back at once when it is deleted (else status would take this daemon for
// one still starting until the next check, as long as pidFileBackstop).
func (r *runner) besideWatched() []string {
	if r.opts.RecordPath == "" {
		return nil
	}
	return []string{r.opts.RecordPath}
}

// stoppingMarkFirst is how long a stop of a supervised program waits for its record's
// stopping mark before it signals the program (see runner.stop).
var stoppingMarkFirst = 100 * time.Millisecond
