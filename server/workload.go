package server

import (
	"context"
	"math"
	"os"
	"sync"
	"time"

	"github.com/daemonkit/daemonkit/handshake"
	"github.com/daemonkit/daemonkit/internal/childstart"
)

// Workload is what a daemon runs once it holds its pidfile: the built-in HTTP server, a
// supervised program, or an embedding program's own serve function. The runtime (lock,
// handshake, signals, log, record) is the same for every workload.
type Workload interface {
	// Serve runs the workload. It calls ready once it serves (at most once; addr is where
	// it listens, "" if it does not), then runs until ctx is cancelled (a stop: SIGTERM or
	// SIGINT), drains gracefully and returns nil. An error (or panic) before ready is why
	// the start failed; after ready, returning at all means the workload ended on its own.
	// ctx carries the daemon's logger (hclog.FromContext).
	Serve(ctx context.Context, ready ReadyFunc) error
}

// ReadyFunc says the workload is ready, and where it listens ("" if it does not).
type ReadyFunc = func(addr string)

// WorkloadFunc makes a serve function a Workload.
type WorkloadFunc func(ctx context.Context, ready ReadyFunc) error

// Serve calls f.
func (f WorkloadFunc) Serve(ctx context.Context, ready ReadyFunc) error { return f(ctx, ready) }

// Reloader is implemented by a workload that reloads its configuration on SIGHUP (after
// the log is reopened). Its error, or its panic, is logged; the daemon runs on. Reload runs
// beside the runtime's signal handling, one at a time (one asked for meanwhile follows
// it): a stop is not held up by it, and cancels its context.
type Reloader interface {
	Reload(ctx context.Context) error
}

// LogReopener is implemented by a workload with log files of its own: on SIGUSR1 (`reopen`,
// as logrotate's postrotate sends it), once the runtime has reopened its own log, it calls
// ReopenLogs. Not on SIGHUP: that is Reload's cue. A supervisor passes the program's own
// reopen signal on (--reopen-signal; nginx's is USR1).
type LogReopener interface {
	ReopenLogs(ctx context.Context)
}

// Forwarder is implemented by a workload that wants more signals than stop and reload:
// the runtime catches ForwardSignals from the start (before it takes its lock) and passes
// each one it receives to Forward. A supervisor forwards them to its program.
type Forwarder interface {
	ForwardSignals() []os.Signal
	Forward(sig os.Signal)
}

// StopSignaler is implemented by a workload that is stopped by more signals than TERM and
// INT: the runtime catches StopSignals from the start, as it does those, and a stop by one
// of them cancels Serve's context with a Stopped cause that carries it. A supervisor
// stops on QUIT, which it passes on to its program as the program's stop signal (nginx's
// graceful stop), instead of restarting a program that ended of it.
type StopSignaler interface {
	StopSignals() []os.Signal
}

// Killer is implemented by a workload that has processes of its own to end when the
// runtime gives up on a drain (ShutdownTimeout passed, or a second stop signal came): the
// runtime calls Kill, then waits a little more for Serve to return, so that nothing of the
// instance outlives it.
type Killer interface {
	Kill()
}

// Sweeper is implemented by a workload whose work may start processes that nothing else
// ends (an embedding program's serve function, whose os/exec children, and theirs, outlive
// it): once the workload has returned, or the runtime has given up on its drain, and
// before the record is marked stopped and the pidfile given up, the runtime calls Sweep,
// which kills what the work left running and returns their pids, which the runtime logs.
// So nothing of the instance outlives its lock, as a supervisor sees to for its program,
// and as systemd does for a unit's cgroup.
type Sweeper interface {
	Sweep() (killed []int)
}

// DrainBounder is implemented by a workload that bounds its own drain at a stop, as a
// supervisor does: once ShutdownTimeout has passed it kills what it runs and says so in
// its own words, then returns once the last of its output is written (a log's reader may
// be slow). The runtime leaves that bound to it, and cuts the drain itself only KillGrace
// later, a backstop: the line that says what happened is the workload's, never a race
// between two. WorkEnded reports whether what the workload runs has ended, its last output
// alone being written still: past the backstop the runtime then stops waiting for that
// output, and says so, rather than that work in flight was cut off.
type DrainBounder interface {
	WorkEnded() bool
}

// Restorer is implemented by a workload that keeps files of its own beside the pidfile (a
// supervisor's control socket): once the runtime has put back a pidfile that was deleted
// (most often with its whole directory) or replaced, it calls Restore, so that the workload
// puts back its own.
type Restorer interface {
	Restore()
}

// startupKey carries the start under way (*startup) into a workload's context, for
// ExtendStart and StartStatus.
type startupKey struct{}

// startup is a start under way: the launcher's end of the handshake, and the daemon's own
// ready deadline (zero: none), which an extension moves as it moves the launcher's.
type startup struct {
	rep      *handshake.Reporter
	mu       sync.Mutex
	deadline time.Time
}

// extend moves the deadline to d and grace from now, when that is later; d so large that
// the sum overflows (systemd's infinity, EXTEND_TIMEOUT_USEC=UINT64_MAX) removes it, as
// the launcher then waits without end.
func (s *startup) extend(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch grace := s.grace(); {
	case s.deadline.IsZero():
	case d >= math.MaxInt64-grace:
		s.deadline = time.Time{}
	default:
		if until := time.Now().Add(d + grace); until.After(s.deadline) {
			s.deadline = until
		}
	}
}

// grace is how long after the launcher's deadline the daemon's own falls: ReadyGrace, so
// that a launcher that is there gives up first, with its own word; none in the foreground,
// where there is no launcher and the daemon's deadline is --ready-timeout itself.
func (s *startup) grace() time.Duration {
	if s.rep == nil {
		return 0
	}
	return ReadyGrace
}

// left is how long until the deadline, and false when there is none.
func (s *startup) left() (time.Duration, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return time.Until(s.deadline), !s.deadline.IsZero()
}

// ExtendStart asks the launcher (start -d) to wait d more from now for the workload to be
// ready, as systemd's EXTEND_TIMEOUT_USEC does: the deadline moves only when that is later
// than the one already set, so an extension never shortens --ready-timeout. The daemon's
// own deadline (Options.ReadyTimeout) moves with it, and a service manager that runs the
// daemon in the foreground (NOTIFY_SOCKET) is asked for d and 5s more, while its start job
// lasts (see manager.extendStart). A serve function that runs as its daemon's child (start
// --socket, --user as root, PID 1) asks that supervisor, which does all this. Outside a
// start, it does nothing.
func ExtendStart(ctx context.Context, d time.Duration) {
	if s, _ := ctx.Value(startupKey{}).(*startup); s != nil {
		s.extend(d)
		_ = s.rep.Extend(d)
	}
	if m, _ := ctx.Value(managerKey{}).(*manager); m != nil {
		m.extendStart(d)
	}
	childstart.From(ctx).Extend(d) // the work as its daemon's child: to that supervisor
}

// StartStatus tells the launcher what the workload is doing while it starts (systemd's
// STATUS=); a start that times out quotes the last one, the start of a serve function that
// runs as its daemon's child too. Outside a start, it does nothing.
func StartStatus(ctx context.Context, text string) {
	if s, _ := ctx.Value(startupKey{}).(*startup); s != nil {
		_ = s.rep.Status(text)
	}
	childstart.From(ctx).Status(text) // the work as its daemon's child: to that supervisor
}

// CleanEnd is implemented by an error a workload returns when it ends on its own, to say
// whether that end was clean: a supervised program that exited 0 and was not to be started
// again. A run that ends so is not failed (instance.Record.Failed); any other end on its
// own is.
type CleanEnd interface {
	Clean() bool
}
