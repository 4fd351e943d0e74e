package server

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/hashicorp/go-hclog"
	"golang.org/x/sys/unix"

	"github.com/daemonkit/daemonkit/pidfile"
	"github.com/daemonkit/daemonkit/strategy"
)

// Run runs the built-in server until SIGTERM or SIGINT (or until ctx is done), then shuts
// it down gracefully and returns nil. rep may be nil (the foreground: nobody waits).
//
// In this order: it applies the umask; it catches its signals before anything else, so a
// stop that arrives during start-up is handled right after (the daemon reports ready, then
// stops gracefully), and clears the signal mask and ignored signals inherited at exec; it
// reports its pid; it takes the pidfile lock (held: it reports the holder and returns an
// error wrapping ErrAlreadyRunning and the *pidfile.LockedError, having written nothing
// to the log); it starts the workload (failure, such as an address in use: it reports the
// error and removes its pidfile); it writes the record, logs "started" and reports ready.
// Then SIGHUP (unless IgnoreHUP) and SIGUSR1 reopen the log, and a stop drains requests in
// flight for up to ShutdownTimeout (a second stop cuts the drain short), logs "stopped",
// and removes the record and the pidfile, whose lock is held until that is done.
func Run(ctx context.Context, opts Options, rep *strategy.Reporter, log hclog.Logger) error {
	if opts.Umask >= 0 {
		unix.Umask(opts.Umask)
	}
	sigs := watchSignals(opts.IgnoreHUP)
	defer sigs.close()
	defer rep.Close()
	if log == nil {
		log = hclog.NewNullLogger()
	}
	opts = opts.withDefaults()
	startedErr := rep.Started(os.Getpid())

	pf, err := pidfile.Acquire(opts.PIDFile)
	if err != nil {
		return lockFailed(err, rep, log)
	}
	// From here on this process owns the instance and may write to its log.
	for _, p := range sigs.problems {
		log.Warn("signal set-up incomplete", "error", p)
	}
	if startedErr != nil {
		log.Warn("could not report the pid to the launcher", "error", startedErr)
	}
	r := &runner{opts: opts, sigs: sigs, rep: rep, log: log, pf: pf}
	return r.run(ctx)
}

// lockFailed reports why the pidfile could not be taken. If another process holds it,
// nothing is logged: an instance that is already running must see no change.
func lockFailed(err error, rep *strategy.Reporter, log hclog.Logger) error {
	var held *pidfile.LockedError
	if errors.As(err, &held) {
		err = fmt.Errorf("%w: %w", ErrAlreadyRunning, err)
		if held.PID >= 2 {
			_ = rep.AlreadyRunning(held.PID)
		} else { // the kernel cannot name the holder: a zero pid would read as no answer
			_ = rep.Fail(err)
		}
		return err
	}
	log.Error("could not start", "error", err)
	_ = rep.Fail(err)
	return err
}

// runner is one run that holds its pidfile.
type runner struct {
	opts          Options
	sigs          *signals
	rep           *strategy.Reporter
	log           hclog.Logger
	pf            *pidfile.File
	recordWritten bool
}

// run starts the workload, reports ready and runs the loop.
func (r *runner) run(ctx context.Context) error {
	startedAt := time.Now().UTC()
	w := newBuiltin(builtinConfig{
		Name:      r.opts.Name,
		Strategy:  r.opts.Strategy,
		Listen:    r.opts.Listen,
		Heartbeat: r.opts.Heartbeat,
		StartedAt: startedAt,
	}, r.log)
	listen, err := w.Start(ctx)
	if err != nil {
		return r.fail(err)
	}
	if err := r.writeRecord(startedAt, listen); err != nil {
		return r.fail(errors.Join(err, r.shutdown(ctx, w)))
	}
	r.log.Info("started", "pid", os.Getpid(), "listen", listen, "strategy", r.opts.Strategy, "name", r.opts.Name)
	if err := r.rep.Ready(listen); err != nil {
		r.log.Warn("could not report readiness to the launcher", "error", err)
	}
	return r.loop(ctx, w)
}

// fail reports why the start failed and gives the pidfile up.
func (r *runner) fail(err error) error {
	r.log.Error("could not start", "error", err)
	_ = r.rep.Fail(err)
	return errors.Join(err, r.cleanup())
}
