package instance

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/daemonkit/daemonkit/internal/storage"
	"github.com/daemonkit/daemonkit/pidfile"
)

// A start under way is told by its start lock, NAME.starting beside the pidfile: a pidfile
// of the start command itself, which takes it before it launches the daemon and gives it up
// only once the daemon is ready or has failed. In between, the daemon takes the instance's
// pidfile; so whoever looks at the start lock first and the pidfile second sees one of them
// held for as long as the start lasts, and never misses a daemon that is on its way: a stop
// in the first milliseconds of a start waits for the daemon and stops it, where it used to
// find nothing, and the daemon then ran on.

// StartLock is the path of the instance's start lock, NAME.starting beside its pidfile.
func (p Paths) StartLock() string {
	return filepath.Join(filepath.Dir(p.PIDFile), p.Name+".starting")
}

// testHookOtherStart, when set by a test, runs when BeginStart first finds another start;
// testHookAwaitStarting when AwaitStarting begins to wait for a daemon that is starting.
var testHookOtherStart, testHookAwaitStarting func()

// Starting is a start of an instance under way, in this process: its start lock, held.
type Starting struct{ f *pidfile.File }

// BeginStart takes the instance's start lock for this process, to hold while it launches
// the daemon, until Done. Another start of the instance may hold it; then BeginStart waits
// for the outcome of that start, as a second systemctl start joins the job under way, and
// launches nothing itself: once the other start has ended with its daemon ready, the error
// is the *pidfile.LockedError that names it (errors.Is pidfile.ErrLocked: already
// running); if it ended without a daemon (it failed, or a stop called it off), the error
// wraps ErrStartUnderWay and says so; and so it does if the other start has not ended
// after within, or when ctx ends (with its cause). An other start that ended (killed)
// before its daemon was ready leaves it starting on alone: BeginStart waits for its
// outcome (AwaitStarting), within the same bound.
func BeginStart(ctx context.Context, p Paths, within time.Duration) (*Starting, error) {
	return BeginStartNoting(ctx, p, within, nil)
}

// BeginStartNoting is BeginStart, which calls joining, if not nil, once it finds another
// start under way, before it waits for that start's outcome: with that start's pid, or -1
// where the kernel cannot name it (another pid namespace's). The wait may last as long as
// that start does, seconds: a command says what it waits for, or it looks hung.
func BeginStartNoting(ctx context.Context, p Paths, within time.Duration, joining func(other int)) (*Starting, error) {
	end := time.Now().Add(within)
	other := 0 // the other start's pid, once one was seen
	for backoff := time.Millisecond; ; backoff = min(2*backoff, 10*time.Millisecond) {
		f, err := pidfile.Acquire(p.StartLock())
		switch held := (*pidfile.LockedError)(nil); {
		case err == nil && other == 0:
			return &Starting{f}, nil
		case err == nil: // the other start ended: its daemon runs, or none does
			if err := daemonOf(p); err != nil {
				// A start killed before its daemon was ready leaves it starting on alone:
				// its outcome, not "already running" of a daemon that may yet fail.
				whole := p
				if whole.Record == "" {
					whole.Record = p.RecordBeside()
				}
				werr := AwaitStarting(ctx, whole, max(time.Until(end), 0))
				_ = f.Release()
				return nil, cmp.Or(werr, err)
			}
			_ = f.Release()
			return nil, fmt.Errorf("start %s: %w: %s ended without a daemon running (it failed, or a stop called it off); nothing was started",
				p.Name, ErrStartUnderWay, startNamed(other))
		case !errors.As(err, &held):
			return nil, startLockError(p, err)
		case other == 0:
			other = cmp.Or(held.PID, -1)
			if joining != nil {
				joining(other)
			}
			if testHookOtherStart != nil {
				testHookOtherStart()
			}
		}
		switch {
		case ctx.Err() != nil:
			return nil, fmt.Errorf("start %s: %w: gave up waiting for %s: %w", p.Name, ErrStartUnderWay, startNamed(other), context.Cause(ctx))
		case time.Now().After(end):
			return nil, fmt.Errorf("start %s: %w: %s has not ended after %v", p.Name, ErrStartUnderWay, startNamed(other), within)
		}
		select {
		case <-ctx.Done():
		case <-time.After(backoff): // a polling step: a lock's release wakes nobody
		}
	}
}

// AwaitStarting is for a start that holds the instance's start lock (BeginStart) and
// finds a daemon that holds the pidfile but is not ready yet: its own start is gone
// (killed, or interrupted, while it waited), and the daemon starts on alone. Like a second
// start, this one waits for its outcome rather than say "already running" of a daemon that
// may fail: once it is ready, the error is the *pidfile.LockedError that names it; if it
// ended without being ready, or is not ready after within, or ctx ends, the error wraps
// ErrStartUnderWay and says so. When no daemon is starting, or the lock holder is not one
// a start launched (its environment lacks InvocationEnv; off Linux this cannot be told),
// or it started longer ago than within (a ready daemon whose record was deleted), it
// returns nil at once.
func AwaitStarting(ctx context.Context, p Paths, within time.Duration) error {
	if ps, _ := pidfile.Probe(p.PIDFile); ps.State != pidfile.Running {
		return nil // the common case, told by the lock alone: nothing runs, nothing starts
	}
	st, err := Inspect(p)
	if err != nil || !st.Running() || !st.Starting {
		return nil // the launcher decides, as it does for a daemon that runs
	}
	pid := st.PID()
	if !MayBeStarting(pid, within) {
		return nil // it runs, and the launcher says so
	}
	end := time.Now().Add(within)
	if testHookAwaitStarting != nil {
		testHookAwaitStarting()
	}
	for backoff := time.Millisecond; ; backoff = min(2*backoff, 20*time.Millisecond) {
		st, err := Inspect(p)
		switch {
		case err != nil:
			return nil
		case !st.Running() || st.PID() != pid:
			if err := daemonOf(p); err != nil {
				return err // another daemon took it since: it runs
			}
			return fmt.Errorf("start %s: %w: its daemon (pid %d), which a start that is gone left starting, ended without being ready (its log says why); nothing was started",
				p.Name, ErrStartUnderWay, pid)
		case !st.Starting:
			return &pidfile.LockedError{Path: p.PIDFile, PID: pid}
		case ctx.Err() != nil:
			return fmt.Errorf("start %s: %w: gave up waiting for its daemon (pid %d), which a start that is gone left starting: %w", p.Name, ErrStartUnderWay, pid, context.Cause(ctx))
		case time.Now().After(end):
			return fmt.Errorf("start %s: %w: its daemon (pid %d), which a start that is gone left starting, is not ready after %v (or its record, which it writes once ready, was removed: 'status' tells)", p.Name, ErrStartUnderWay, pid, within)
		}
		select {
		case <-ctx.Done():
		case <-time.After(backoff): // a polling step: readiness wakes nobody outside the daemon
		}
	}
}

// MayBeStarting reports whether pid, a daemon that holds its pidfile but whose record does
// not name it (Status.Starting), may still become ready, so that waiting for it makes
// sense: a start launched it (its environment holds InvocationEnv) no longer than within
// ago. Another tool's lock holder, or a daemon of a daemonkit before invocations, may never
// write a record, so nothing would say when it is ready; one older than within is a daemon
// that is ready but whose record is gone (deleted by hand). Off Linux this cannot be told:
// false.
func MayBeStarting(pid int, within time.Duration) bool {
	if _, ours := proc.Getenv(pid, InvocationEnv); !ours {
		return false
	}
	age, ok := proc.Age(pid)
	return ok && age <= within
}

// startLockError is why the start lock of the instance at p could not be taken, said of
// the start lock: its path is chosen by no flag, so a file there that is not a start lock
// is refused (errors.Is pidfile.ErrNotPidfile) with advice that fits it, not --pidfile's.
func startLockError(p Paths, err error) error {
	if np := (*pidfile.NotPidfileError)(nil); errors.As(err, &np) {
		return &startLockRefused{name: p.Name, np: np}
	}
	if errors.Is(err, storage.ErrNoModes) { // vfat's EPERM is no permission of the user's
		return fmt.Errorf("start %s: its start lock: %w", p.Name, storage.Explain(err, filepath.Dir(p.StartLock()), "--state-dir (or --pidfile)"))
	}
	if errors.Is(err, fs.ErrPermission) { // the first file a start writes: a state directory not this user's
		return fmt.Errorf("start %s: its start lock: %w: uid %d may not write it, or its directory %s: give --state-dir (or --pidfile) a directory of yours, or start it as that directory's owner",
			p.Name, err, os.Geteuid(), filepath.Dir(p.StartLock()))
	}
	return fmt.Errorf("start %s: its start lock: %w", p.Name, storage.Explain(err, filepath.Dir(p.StartLock()), "--state-dir (or --pidfile)"))
}

// startLockRefused is the refusal to take a start lock whose file holds what no start
// writes. (Empty or only NUL bytes, what a crash leaves, is a stale start lock, taken over.)
type startLockRefused struct {
	name string
	np   *pidfile.NotPidfileError
}

func (e *startLockRefused) Error() string {
	return fmt.Sprintf("start %s: its start lock %q holds %s, which is not a start lock: refusing to overwrite it "+
		"(a start writes only its pid there: if no other program of yours uses that file, remove it: rm %s)",
		e.name, e.np.Path, e.np.Quote(), e.np.Path)
}

func (e *startLockRefused) Unwrap() error { return e.np }

// daemonOf is the *pidfile.LockedError naming the daemon that holds the instance's
// pidfile, if one does: what another start that ended left.
func daemonOf(p Paths) error {
	if st, _ := pidfile.Probe(p.PIDFile); st.State == pidfile.Running {
		return &pidfile.LockedError{Path: p.PIDFile, PID: st.PID}
	}
	return nil
}

// startNamed is "another start (pid N)", or, when the kernel cannot name its pid (another
// pid namespace's), "another start (pid unknown)".
func startNamed(pid int) string {
	if pid <= 0 {
		return "another start (pid unknown)"
	}
	return fmt.Sprintf("another start (pid %d)", pid)
}

// Done gives the start lock up (removing its file), once the daemon is ready or has
// failed. A second call does nothing.
func (s *Starting) Done() { _ = s.f.Release() }

// ErrStartUnderWay means a start of the instance is under way: its start command holds the
// start lock, and no daemon holds the pidfile yet.
var ErrStartUnderWay = errors.New("a start is under way")

// StartUnderWay is the pid of the start command that holds the instance's start lock, or
// 0 when no start of it is under way. A lock whose holder the kernel cannot name (another
// pid namespace's) counts as held, -1.
func (p Paths) StartUnderWay() int {
	st, err := pidfile.Probe(p.StartLock())
	switch {
	case st.State == pidfile.Running && st.PID > 0:
		return st.PID
	case st.State == pidfile.Running:
		return -1
	case err != nil:
		return 0 // cannot tell: as before there was a start lock
	}
	return 0
}

// StartGoesOn reports whether a start of the instance is under way (StartUnderWay) and
// not stopped by a signal (Ctrl-Z): it bounds its own wait for its daemon, by its
// --ready-timeout, and gives its start lock up then.
func (p Paths) StartGoesOn() bool {
	start := p.StartUnderWay()
	return start != 0 && !suspended(start)
}

// AwaitDaemon waits, while a start of the instance is under way and no daemon holds its
// pidfile yet, for either to change: the daemon takes its pidfile within milliseconds of
// its start (after its signal handlers are in place), or the start fails. It returns nil at once when no start is under way, and an
// error wrapping ErrStartUnderWay if the start still holds no daemon after within (if
// positive) or when ctx ends. The start lock is looked at before the pidfile, so that a
// start that ends between the two looks has left its daemon holding the pidfile.
func AwaitDaemon(ctx context.Context, p Paths, within time.Duration) error {
	var end time.Time
	if within > 0 {
		end = time.Now().Add(within)
	}
	for backoff := time.Millisecond; ; backoff = min(2*backoff, 10*time.Millisecond) {
		starter := p.StartUnderWay()
		if starter == 0 {
			return nil
		}
		if st, _ := pidfile.Probe(p.PIDFile); st.State == pidfile.Running {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%w: %s, and its daemon holds no pidfile yet: gave up waiting for it: %w", ErrStartUnderWay, startNamed(starter), context.Cause(ctx))
		}
		if !end.IsZero() && time.Now().After(end) {
			return fmt.Errorf("%w: %s, and its daemon holds no pidfile yet after %v; try again", ErrStartUnderWay, startNamed(starter), within)
		}
		select {
		case <-ctx.Done():
		case <-time.After(backoff): // a polling step: taking a lock wakes nobody
		}
	}
}
