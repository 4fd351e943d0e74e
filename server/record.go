package server

import (
	"cmp"
	"context"
	"os"
	"sync"
	"time"

	"github.com/daemonkit/daemonkit/instance"
)

// records keeps the run's instance record: what the workload publishes before it is
// ready is kept for the first write, and every change after that is written at once.
type records struct {
	mu      sync.Mutex
	path    string
	rec     instance.Record
	written bool
}

type recordsKey struct{}

// UpdateRecord applies f to the record of the run that ctx (a Workload's Serve context)
// belongs to, and writes it if the run has written it already: this is how a workload
// publishes what status and list show (its program's pid, its restarts, its last exit).
// Outside a run, or in one without a record, it does nothing.
func UpdateRecord(ctx context.Context, f func(*instance.Record)) {
	rs, _ := ctx.Value(recordsKey{}).(*records)
	if rs == nil {
		return
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	f(&rs.rec)
	if rs.written {
		_ = instance.WriteRecord(rs.path, rs.rec) // informative: a failure loses nothing that decides
	}
}

// first writes the record once the workload is ready.
func (rs *records) first(opts Options, startedAt time.Time, listen string, dropped uint64) error {
	if rs.path == "" {
		return nil
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rec := rs.rec
	rec.Name = cmp.Or(rec.Name, opts.Name)
	rec.PIDFile = cmp.Or(rec.PIDFile, opts.PIDFile)
	rec.Log = cmp.Or(rec.Log, opts.LogPath)
	rec.PID = os.Getpid()
	rec.StartTime, rec.BootID = instance.StartTime(rec.PID), instance.BootID()
	rec.StartedAt = startedAt
	rec.Listen = listen
	rec.DroppedLogLines = dropped
	rec.ShutdownTimeout = opts.ShutdownTimeout
	rec.State, rec.StoppedAt, rec.LastExit = instance.StateRunning, time.Time{}, ""
	if err := instance.WriteRecord(rs.path, rec); err != nil {
		return err // instance names the step and the path
	}
	rs.rec, rs.written = rec, true
	return nil
}

// update changes the written record and writes it again.
func (rs *records) update(f func(*instance.Record)) error {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if !rs.written {
		return nil
	}
	f(&rs.rec)
	return instance.WriteRecord(rs.path, rs.rec)
}

// endedWith sets how the work ended, for the record stopped writes, unless the workload
// published its own (a supervised program's exit status).
func (rs *records) endedWith(lastExit string) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.rec.LastExit == "" {
		rs.rec.LastExit = lastExit
	}
}

// stopped marks the record stopped, keeping the last exit the workload published, and
// clears its invocation: the run stopped what it started.
func (rs *records) stopped() error {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if !rs.written {
		return nil
	}
	lastExit := rs.rec.LastExit // a supervised program's, if the workload said
	if lastExit == "" {
		lastExit = "stopped"
	}
	return instance.MarkStoppedClean(rs.path, os.Getpid(), lastExit)
}
