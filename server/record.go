package server

import (
	"cmp"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/daemonkit/daemonkit/internal/storage"
)

// records keeps the run's instance record: what the workload publishes before it is
// ready is kept for the first write, and every change after that is written at once.
type records struct {
	mu      sync.Mutex
	path    string
	rec     instance.Record
	written bool
	// endedFailed says the work ended on its own (endedOnItsOwn), not by a stop, and not
	// clean.
	endedFailed bool
	// stopping says the record was written "stopping" by a start a stop called off
	// (stoppingStart), and fresh that no record was there before it: failed removes it.
	stopping, fresh bool
	// ended says stopped wrote the run's last record: no write may follow it, not even
	// one of a log reopen that ends after the stop (it runs beside the loop: askReopen).
	ended bool
	// log (nil: none) says when a write of what the workload published fails, and when
	// one succeeds again, once each: meanwhile status and list show what the record said
	// before (a program pid long gone), and only the log tells why. publishFailing says
	// the last such write failed.
	log            hclog.Logger
	publishFailing bool

	// What the workload published (UpdateRecord) and the record has not had yet: applied
	// in order, before anything else changes or reads the record (lock), and written by
	// one flush at a time.
	pubMu     sync.Mutex // never held across a write: UpdateRecord never waits for the disk
	pub       []published
	flushing  bool            // a flush runs, and takes what is published meanwhile
	unwritten bool            // rec has what was published, and no write has had it yet
	applied   []chan struct{} // of changes rec has, for the flush to close once written
}

type recordsKey struct{}

// UpdateRecord applies f to the record of the run that ctx (a Workload's Serve context)
// belongs to, and writes it if the run has written it already: this is how a workload
// publishes what status and list show (its program's pid, its restarts, its last exit).
// Outside a run, or in one without a record, it does nothing. It returns once the record
// has the change (written, if the run has written it), or at once when a stop has begun
// (ctx is cancelled): the write is made beside the caller, on a thread that takes no
// signal, so that a workload's goroutine held by the record's frozen disk (a hung NFS
// server) neither holds a stop's signal up nor holds up its work. Changes published one
// after another are applied in that order, before any other change to the record, and the
// record's last write has every one of them.
func UpdateRecord(ctx context.Context, f func(*instance.Record)) {
	rs, _ := ctx.Value(recordsKey{}).(*records)
	if rs == nil {
		return
	}
	done := make(chan struct{})
	rs.pubMu.Lock()
	rs.pub = append(rs.pub, published{f, done})
	if !rs.flushing {
		rs.flushing = true
		proc.GoDeaf(rs.flush)
	}
	rs.pubMu.Unlock()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// published is a change a workload published, and what is closed once the record has it.
type published struct {
	f    func(*instance.Record)
	done chan struct{}
}

// flush applies and writes what was published, until nothing more is: one write for all
// that was published while the one before it was under way. It closes each change's done
// once a write has had it (or at once, before the run's first write), whether it applied
// the change itself or a lock of the record did. It ends only with rs.mu held and nothing
// published: a change published after that starts a flush of its own, and one a lock
// applied before it is among those it closes.
func (rs *records) flush() {
	for {
		rs.mu.Lock()
		rs.apply()
		var failed error
		var mended bool
		if rs.unwritten && rs.written {
			// Informative: a failure loses nothing that decides, but is said once.
			failed, mended = rs.notePublished(rs.write(&rs.rec))
		}
		applied := rs.applied
		rs.applied = nil
		rs.pubMu.Lock()
		last := len(rs.pub) == 0
		if last {
			rs.flushing = false
		}
		rs.pubMu.Unlock()
		rs.mu.Unlock()
		for _, done := range applied {
			close(done)
		}
		rs.sayPublished(failed, mended)
		if last {
			return
		}
	}
}

// notePublished keeps whether a write of what the workload published failed (err), and
// returns err if it is the first failure since the last success, or mended if it is the
// first success since a failure. Call with rs.mu held.
func (rs *records) notePublished(err error) (failed error, mended bool) {
	switch {
	case err != nil && !rs.publishFailing:
		rs.publishFailing = true
		return err, false
	case err == nil && rs.publishFailing:
		rs.publishFailing = false
		return nil, true
	}
	return nil, false
}

// sayPublished logs what notePublished returned, outside rs.mu: a line may wait for the
// log's disk, the record must not.
func (rs *records) sayPublished(failed error, mended bool) {
	switch {
	case rs.log == nil:
	case failed != nil:
		rs.log.Warn("could not write the record: status and list show what it said before (its program's pid, its restarts) until it can be written again",
			"path", rs.path, "error", failed)
	case mended:
		rs.log.Info("the record is written again", "path", rs.path)
	}
}

// lock takes rs.mu and applies what the workload published since, in order: each of
// rs's changes and reads has them.
func (rs *records) lock() {
	rs.mu.Lock()
	rs.apply()
}

// apply applies what the workload published since, in order, and keeps their done for
// the flush, which closes them once a write has had them. Call with rs.mu held.
func (rs *records) apply() {
	rs.pubMu.Lock()
	pub := rs.pub
	rs.pub = nil
	rs.pubMu.Unlock()
	for _, p := range pub {
		p.f(&rs.rec)
		rs.applied = append(rs.applied, p.done)
	}
	rs.unwritten = rs.unwritten || len(pub) > 0
}

// write writes rec, the run's record, stamped alive now (Record.AliveTicks: this daemon
// writes it, so it is alive). Call with rs.mu held.
func (rs *records) write(rec *instance.Record) error {
	if rs.ended {
		return nil // the record says stopped: the run is over
	}
	rec.StampAlive()
	rs.unwritten = false // whether it fails or not: a failure loses nothing that decides
	err := writeRecord(rs.path, *rec)
	if err != nil && rec.DroppedLogCause != "" {
		// On a full disk a record can only be rewritten in its own blocks, and may not fit
		// with the cause: the count of dropped lines must get there, the cause need not.
		without := *rec
		without.DroppedLogCause = ""
		if writeRecord(rs.path, without) == nil {
			rec.DroppedLogCause = ""
			return nil
		}
	}
	return err
}

// writeRecord is instance.WriteRecord; a test may replace it.
var writeRecord = instance.WriteRecord

// markStoppedFrom is instance.MarkStoppedCleanFrom; a test may replace it.
var markStoppedFrom = instance.MarkStoppedCleanFrom

// first writes the record once the workload is ready.
func (rs *records) first(opts Options, startedAt time.Time, listen string, dropped uint64, dropCause string) error {
	if rs.path == "" {
		return nil
	}
	rs.lock()
	defer rs.mu.Unlock()
	rec := rs.this(opts, startedAt)
	rec.Listen = listen
	rec.DroppedLogLines, rec.DroppedLogCause = dropped, dropCause
	rec.State, rec.StoppedAt, rec.LastExit, rec.Failed = instance.StateRunning, time.Time{}, "", false
	if err := rs.write(&rec); err != nil {
		// instance names the step and the path; a full, read-only or over-quota file
		// system is said as the pidfile's is, with the fix.
		return storage.Explain(err, filepath.Dir(rs.path), "--state-dir (or --pidfile)")
	}
	rs.rec, rs.written = rec, true
	return nil
}

// this is the record of this run: what the workload published, and who runs it.
func (rs *records) this(opts Options, startedAt time.Time) instance.Record {
	rec := rs.rec
	rec.Name = cmp.Or(rec.Name, opts.Name)
	rec.PIDFile = cmp.Or(rec.PIDFile, opts.PIDFile)
	rec.Log = cmp.Or(rec.Log, opts.LogPath)
	rec.PID = os.Getpid()
	rec.StartTime, rec.BootID = instance.StartTime(rec.PID), instance.BootID()
	rec.StartedAt = startedAt
	rec.ShutdownTimeout = opts.ShutdownTimeout
	return rec
}

// failed records a start that failed, with why as its last exit, over the record of an
// earlier run of the instance, so that status and list no longer show how that run ended
// as if it were the last news; the record keeps how it was started, so restart can try
// again. An instance that never ran gets no record: a mistyped start leaves nothing. A
// start that a stop called off (why wraps Stopped) is recorded stopped, not failed.
func (rs *records) failed(opts Options, startedAt time.Time, why error) {
	if rs.path == "" {
		return
	}
	rs.lock()
	defer rs.mu.Unlock()
	if rs.written {
		return // it was ready: stopped marks it
	}
	if rs.stopping && rs.fresh {
		// The instance never ran: stoppingStart's record goes again, and only it.
		_ = instance.RemoveRecord(rs.path, os.Getpid())
		return
	}
	rec := rs.this(opts, startedAt)
	rec.FailedStart(why.Error())
	if stop := (Stopped{}); errors.As(why, &stop) {
		rec.CalledOff(why.Error()) // a stop called the start off: stopped, not failed
	}
	// From read to write under the record's lock: a stop's change in between is not
	// written over. Informative: the start fails anyway.
	_ = instance.UpdateRecord(rs.path, func(r *instance.Record, err error) (bool, error) {
		if err != nil {
			return false, nil // none, or not ours to overwrite
		}
		*r = rec
		return true, nil
	})
}

// stoppingStart writes the record of this run, stopping, when a stop calls its start off
// before it was ready (see stopStarting; why is the start's failure, "stopped by SIGTERM
// before it was ready"), as stop marks a ready run's: a stop from another
// shell meanwhile then waits for the drain rather than cut it short with a second stop
// signal (see instance.Stop), and status says stopping, not starting. It replaces only a
// record of an earlier run of ours; where there was none (the instance never ran), failed
// removes it again, so that a start called off still leaves none.
func (rs *records) stoppingStart(opts Options, startedAt time.Time, why string) {
	if rs.path == "" {
		return
	}
	rs.lock()
	defer rs.mu.Unlock()
	if rs.written {
		return
	}
	rec := rs.this(opts, startedAt)
	// Its last exit says already what failed will: a stop that marks it stopped once it is
	// gone (killed in its drain) keeps it, so that it never reads as a plain stop or a crash.
	rec.State, rec.StoppedAt, rec.LastExit, rec.Failed = instance.StateStopping, time.Time{}, instance.StartCalledOff+why, false
	rec.StampAlive()
	fresh := false
	err := instance.UpdateRecord(rs.path, func(r *instance.Record, err error) (bool, error) {
		fresh = errors.Is(err, fs.ErrNotExist)
		if err != nil && !fresh {
			return false, errNotOurs // not ours to overwrite
		}
		*r = rec
		return true, nil
	})
	if err == nil {
		rs.stopping, rs.fresh = true, fresh
	}
}

// errNotOurs is a record stoppingStart leaves alone: not one of this user's records.
var errNotOurs = errors.New("not a record of ours")

// supervises reports whether the run's record names a supervised program (start -- CMD):
// its stop writes the record stopping at once (see runner.stop).
func (rs *records) supervises() bool {
	rs.lock()
	defer rs.mu.Unlock()
	return len(rs.rec.Command) > 0
}

// restore writes the record again as it is, as update does, and reports whether it wrote
// it: not before its first write, nor once the run is over (the record says stopped).
func (rs *records) restore() (bool, error) {
	rs.lock()
	defer rs.mu.Unlock()
	if !rs.written || rs.ended {
		return false, nil
	}
	return true, rs.write(&rs.rec)
}

// update changes the written record and writes it again.
func (rs *records) update(f func(*instance.Record)) error {
	rs.lock()
	defer rs.mu.Unlock()
	if !rs.written {
		return nil
	}
	f(&rs.rec)
	return rs.write(&rs.rec)
}

// logReopenFailed records why a reopen of the log at its path failed, and counts it
// (Record.LogReopenFailures), writing the record each time, even when the problem's text
// is the one already there: a reopen that waits for the daemon's answer tells this
// failure from an earlier one by the count. Before the first write, the first write
// carries it.
func (rs *records) logReopenFailed(problem string) error {
	rs.lock()
	defer rs.mu.Unlock()
	rs.rec.LogProblem = problem
	rs.rec.LogReopenFailures++
	if !rs.written {
		return nil
	}
	return rs.write(&rs.rec)
}

// setLogProblem records why the log could not be reopened at its path ("" once it could),
// writing the record only when that changes; before the first write, the first write
// carries it.
func (rs *records) setLogProblem(problem string) error {
	rs.lock()
	defer rs.mu.Unlock()
	if rs.rec.LogProblem == problem {
		return nil
	}
	rs.rec.LogProblem = problem
	if !rs.written {
		return nil
	}
	return rs.write(&rs.rec)
}

// endedOnItsOwn sets how the work ended, for the record stopped writes, unless the
// workload published its own (a supervised program's exit status), and whether the run
// failed (no stop ended it, and it did not end clean: see CleanEnd).
func (rs *records) endedOnItsOwn(lastExit string, failed bool) {
	rs.lock()
	defer rs.mu.Unlock()
	if rs.rec.LastExit == "" {
		rs.rec.LastExit = lastExit
	}
	rs.endedFailed = failed
}

// cutShort sets how the work ended when a stop cut its drain short (lastExit, beginning
// with instance.DrainCutShort), for the record stopped writes, unless the workload
// published its own (a supervised program's exit status, which says more).
func (rs *records) cutShort(lastExit string) {
	rs.lock()
	defer rs.mu.Unlock()
	if rs.rec.LastExit == "" {
		rs.rec.LastExit = lastExit
	}
}

// stopped marks the record stopped, keeping the last exit the workload published, and
// clears its invocation: the run stopped what it started.
func (rs *records) stopped() error {
	rs.lock()
	defer rs.mu.Unlock()
	if !rs.written {
		return nil
	}
	lastExit := rs.rec.LastExit // a supervised program's, if the workload said
	if lastExit == "" {
		lastExit = "stopped"
	}
	if rs.unwritten {
		// What the workload published last (its restarts, its program's pid, its exit
		// status), which a flush beside it has not written yet: marking stopped keeps what
		// the file has. One write does both where the file is still this run's.
		rec := rs.rec
		rec.StampAlive()
		if wrote, err := markStoppedFrom(rs.path, os.Getpid(), rec, lastExit, rs.endedFailed); wrote && err == nil {
			rs.unwritten, rs.ended = false, true
			return nil
		}
		_ = rs.write(&rs.rec)
	}
	rs.ended = true
	return instance.MarkStoppedClean(rs.path, os.Getpid(), lastExit, rs.endedFailed)
}
