package server

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/daemonkit/daemonkit/instance"
)

// loop waits for a stop, a log reopen, or the workload ending on its own.
func (r *runner) loop(ctx context.Context, w Workload) error {
	for {
		select {
		case sig := <-r.sigs.stop:
			return r.stop(ctx, w, sig.String())
		case <-ctx.Done():
			return r.stop(ctx, w, "context done")
		case sig := <-r.sigs.reopen:
			r.reopen(sig)
		case err := <-w.Done():
			r.log.Error("workload ended on its own", "error", err)
			return errors.Join(err, r.shutdown(ctx, w), r.cleanup())
		}
	}
}

// stop drains the workload, logs "stopped" and cleans up. A second stop signal during the
// drain cuts it short.
func (r *runner) stop(ctx context.Context, w Workload, reason string) error {
	r.log.Info("stopping", "reason", reason, "shutdown_timeout", r.opts.ShutdownTimeout.String())
	began := time.Now()
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.opts.ShutdownTimeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- w.Shutdown(sctx) }()
	var err error
	for waiting := true; waiting; {
		select {
		case err = <-done:
			waiting = false
		case sig := <-r.sigs.stop:
			r.log.Warn("second stop signal: not waiting for requests in flight", "signal", sig.String())
			cancel()
		case sig := <-r.sigs.reopen:
			r.reopen(sig)
		}
	}
	if err != nil {
		r.log.Warn("drain cut short: remaining connections closed", "error", err)
	}
	r.log.Info("stopped", "reason", reason, "drain", time.Since(began).Round(time.Millisecond).String())
	return r.cleanup()
}

// shutdown stops a workload the run is giving up on, with the usual time limit.
func (r *runner) shutdown(ctx context.Context, w Workload) error {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.opts.ShutdownTimeout)
	defer cancel()
	return w.Shutdown(sctx)
}

// reopen reopens the log after sig.
func (r *runner) reopen(sig os.Signal) {
	if r.opts.LogPath == "" {
		r.log.Info("no log file to reopen: logging to stderr", "signal", sig.String())
		return
	}
	if err := reopenLog(r.opts.LogPath); err != nil {
		r.log.Error("could not reopen log", "signal", sig.String(), "error", err)
		return
	}
	r.log.Info("reopened log", "signal", sig.String(), "path", r.opts.LogPath)
}

// writeRecord writes the instance record, if the run has a path for one. Name, Strategy,
// PIDFile and Log default to the options' when the caller left them empty.
func (r *runner) writeRecord(startedAt time.Time, listen string) error {
	if r.opts.RecordPath == "" {
		return nil
	}
	rec := r.opts.Record
	rec.Name = cmp.Or(rec.Name, r.opts.Name)
	rec.Strategy = cmp.Or(rec.Strategy, r.opts.Strategy)
	rec.PIDFile = cmp.Or(rec.PIDFile, r.opts.PIDFile)
	rec.Log = cmp.Or(rec.Log, r.opts.LogPath)
	rec.PID = os.Getpid()
	rec.StartedAt = startedAt
	rec.Listen = listen
	if err := instance.WriteRecord(r.opts.RecordPath, rec); err != nil {
		return err // instance names the step and the path
	}
	r.recordWritten = true
	return nil
}

// cleanup removes the record, then the pidfile while its lock is still held, then drops
// the lock. Failures are logged and returned.
func (r *runner) cleanup() error {
	var errs []error
	if r.recordWritten {
		if err := instance.RemoveRecord(r.opts.RecordPath, os.Getpid()); err != nil {
			errs = append(errs, fmt.Errorf("%w (record %q)", err, r.opts.RecordPath))
		}
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
