package instance

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"time"

	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/daemonkit/daemonkit/pidfile"
)

// Status is what `status` reports.
type Status struct {
	Paths   Paths
	Pidfile pidfile.Status
	// Record is the running daemon's record: nil unless the pidfile is Running and a
	// record names the lock holder, or Unlocked.
	Record *Record
	// RecordErr says why the record of a running daemon could not be read, when it exists
	// (another user's, mode 0600; damaged): what only it tells (a program between restarts,
	// a drain under way) is unknown then.
	RecordErr error
	// Unlocked says the daemon runs (Record names it, proven by pid and start time) though
	// its pidfile does not show it: deleted or replaced by hand.
	Unlocked bool
	Uptime   time.Duration // since the daemon started (see uptime), when Record != nil and not of a start called off (Record.CalledOffStart)
	// Stopped says the running daemon is stopped by a signal (SIGSTOP, SIGTSTP): it
	// serves nothing until SIGCONT. While a start command launches a daemon that holds no
	// pidfile yet (StartPID), it says so of that command (Ctrl-Z): its daemon gets nowhere.
	Stopped bool
	// Starting says the lock holder has not said it is ready yet: a daemon writes its
	// record once it is, and there is none, or only an earlier run's. (A record that cannot
	// be read says nothing either way: Starting is false then.) It is also true, with
	// StartPID set and Running false, while a start command launches a daemon that holds no
	// pidfile yet (see BeginStart).
	Starting bool
	// StartPID is the pid of the start command under way when no daemon holds the pidfile
	// yet (-1 if the kernel cannot name it); 0 otherwise.
	StartPID int
	// StartTime is the running daemon's start time (clock ticks after boot, as
	// Record.StartTime), read as Inspect looked: with PID, it names that daemon for ever,
	// where a pid alone may be another process's by the next look (SignalDaemon). 0 where
	// it could not be read (pid 1, off Linux).
	StartTime uint64
}

// Running reports whether the daemon runs, by its lock or, if its pidfile was lost, by
// its record.
func (s Status) Running() bool { return s.Pidfile.State == pidfile.Running || s.Unlocked }

// PID is the running daemon's pid, or 0.
func (s Status) PID() int {
	switch {
	case s.Pidfile.State == pidfile.Running:
		return s.Pidfile.PID
	case s.Unlocked:
		return s.Record.PID
	}
	return 0
}

// ContentProblem is why the pidfile's content names no pid (Pidfile.ContentErr), as a
// problem to report; nil when it names one, and when it is only empty while the instance
// is starting: a daemon's pidfile is empty for an instant, between its creation and the
// write of its pid, which is no damage.
func (s Status) ContentProblem() error {
	if s.Starting && errors.Is(s.Pidfile.ContentErr, pidfile.ErrNoContent) {
		return nil
	}
	return s.Pidfile.ContentErr
}

// Inspect reports the state of the instance at p. It never changes anything on disk. The
// error means it cannot tell (permission denied, a pidfile that is not a regular file, a
// holder the kernel cannot name, no pidfile path: pidfile.ErrEmptyPath, ...). A record
// that is missing, unreadable or names another pid is left out: it never decides anything.
func Inspect(p Paths) (Status, error) {
	starter := p.StartUnderWay() // before the pidfile: see BeginStart
	st, proven, err := probe(p)
	if err != nil {
		return Status{Paths: p}, fmt.Errorf("inspect %s: %w", p.Name, err)
	}
	if st.State == pidfile.Running && st.PID == 1 && !initProven(p) {
		return Status{Paths: p}, fmt.Errorf("inspect %s: %w", p.Name, errUnprovenInit(p.PIDFile))
	}
	// A holder that nothing proves the daemon, even after a moment to write its pid: not
	// "starting", nor "already running" to start.
	if st.State == pidfile.Running && st.PID != 1 && !holderProven(p, st) {
		again, err := awaitProven(p, st)
		if err != nil {
			return Status{Paths: p}, fmt.Errorf("inspect %s: %w", p.Name, err)
		}
		if again.State != pidfile.Running || again.PID != st.PID {
			return Inspect(p) // another holder, or none: look again
		}
		st = again // it wrote its pid
	}
	s := Status{Paths: p, Pidfile: st}
	if st.State != pidfile.Running {
		if proven != nil {
			s.Record, s.Unlocked = proven, true
		} else if starter != 0 {
			s.Starting, s.StartPID = true, starter
		}
	} else if r, err := ReadRecord(p.Record); err == nil && r.names(st.PID) {
		s.Record = &r
	} else {
		if err == nil && r.Name == "" && r.Program == "" {
			// An empty file, which daemonkit never leaves (it renames a whole record into
			// place, or rewrites one in place with '#' first): emptied by hand or by a full
			// disk's truncation, not a start under way, which has none or an earlier run's.
			err = fmt.Errorf("read record %q: %w: the file is empty", p.Record, ErrBadRecord)
		}
		s.Starting = err == nil || errors.Is(err, fs.ErrNotExist)
		if !s.Starting {
			s.RecordErr = err
		}
	}
	if s.Record != nil && s.Record.PID != s.PID() {
		s.Record.hostPIDs(s.PID())
	}
	var daemon *proc.Stat // the daemon's, read once for both looks below
	if pid := cmp.Or(s.PID(), s.StartPID); pid > 1 {
		if ps, err := proc.ReadStat(pid); err == nil {
			s.Stopped = ps.Stopped()
			if pid == s.PID() {
				daemon, s.StartTime = &ps, ps.StartTime
			}
		}
	}
	if s.Record != nil && !s.Record.StartedAt.IsZero() && !s.Record.CalledOffStart() {
		s.Uptime = uptime(daemon, s.Record.StartedAt)
	}
	return s, nil
}

// uptime is how long the daemon, of which st was read (nil: it could not be, or it is pid
// 1), which started at startedAt by the wall clock, has run: by its process's age, on the
// boot clock, which no step of the wall clock moves (an RTC-less board's first NTP sync, a
// VM resumed, date -s): by startedAt, after a step, a daemon started at boot with the clock
// at 1970 would be up for 56 years, and one started before the clock stepped back an hour,
// up 0s for an hour. By startedAt only where the system cannot tell a process's age.
func uptime(st *proc.Stat, startedAt time.Time) time.Duration {
	if st != nil {
		if age, ok := st.Age(); ok {
			return age
		}
	}
	return max(time.Since(startedAt), 0)
}

// testHookAfterProbe, when set by a test, runs when probe has found p's pidfile held by
// nobody, before it reads the record.
var testHookAfterProbe func()

// probe reports the pidfile of p as pidfile.Probe does and, when nobody holds it, the
// record that proves that the daemon runs all the same (provenByRecord: its pidfile was
// deleted or replaced by hand), else nil. A daemon that took the pidfile and wrote its
// record between the two looks (a start that became ready meanwhile) is not such a daemon:
// once a record proves one, the pidfile is probed again, and a holder it names then wins,
// so that only a daemon still missing from its pidfile is ever told as Unlocked. A path
// replaced by hand with what is no pidfile (replacedByHand) is, for a daemon a record
// proves, a pidfile missing too (Absent); else it is the error: nothing can tell.
func probe(p Paths) (pidfile.Status, *Record, error) {
	st, err := pidfile.Probe(p.PIDFile)
	if (err != nil && !replacedByHand(err)) || st.State == pidfile.Running {
		return st, nil, err
	}
	if testHookAfterProbe != nil {
		testHookAfterProbe()
	}
	h, rec := proven(p)
	if h == nil { // a path replaced by hand that proves no daemon: cannot tell, and the fix
		return st, nil, pidfile.Advise(p.PIDFile, err, pidfileFlag)
	}
	_ = h.Close()
	if again, err := pidfile.Probe(p.PIDFile); (err != nil && !replacedByHand(err)) || again.State == pidfile.Running {
		return again, nil, err
	}
	return pidfile.Status{State: pidfile.Absent}, rec, nil
}

// hostPIDs renames the pids of r's program and copies, which a daemon in another pid
// namespace (a container's) recorded as it numbers them, as this caller's namespace does,
// daemon being its pid here: a pid from the record would name another process here.
// Those it cannot find among daemon's children become 0.
func (r *Record) hostPIDs(daemon int) {
	if r.ChildPID > 0 {
		r.ChildPID = proc.ChildByInnerPID(daemon, r.ChildPID)
	}
	copies := slices.Clone(r.Copies)
	for i := range copies {
		copies[i].PID = proc.ChildByInnerPID(daemon, copies[i].PID)
	}
	r.Copies = copies
}
