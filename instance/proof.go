package instance

import (
	"github.com/daemonkit/daemonkit/internal/proc"
)

// provenByRecord returns a handle on the daemon the record at path names, when that
// process is alive and provably the one that wrote the record: the same pid and the same
// start time, read after the handle was opened, so that a reused pid can never pass. It
// is how a daemon whose pidfile was deleted or replaced by hand is still found; nil when
// the record is missing, untrusted, or proves nothing.
func provenByRecord(path string) (*proc.Process, *Record) {
	rec, err := ReadRecord(path)
	if err != nil || rec.PID < 2 || rec.StartTime == 0 || rec.State == StateStopped {
		return nil, nil
	}
	h, err := proc.Open(rec.PID)
	if err != nil {
		return nil, nil
	}
	st, err := proc.ReadStat(rec.PID)
	if err != nil || st.Zombie() || st.StartTime != rec.StartTime {
		_ = h.Close()
		return nil, nil
	}
	return h, &rec
}

// StartTime returns when pid started, in the units of Record.StartTime (clock ticks after
// boot), or 0 where the system cannot say.
func StartTime(pid int) uint64 {
	st, err := proc.ReadStat(pid)
	if err != nil {
		return 0
	}
	return st.StartTime
}
