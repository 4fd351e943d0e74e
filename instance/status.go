package instance

import (
	"fmt"
	"time"

	"github.com/daemonkit/daemonkit/pidfile"
)

// Status is what `daemonkit status` reports.
type Status struct {
	Paths   Paths
	Pidfile pidfile.Status
	Record  *Record       // nil unless the pidfile is Running and a record names the lock holder
	Uptime  time.Duration // since Record.StartedAt, when Record != nil
}

// Inspect reports the state of the instance at p. It never changes anything on disk. The
// error means it cannot tell (permission denied, a pidfile that is not a regular file, a
// holder the kernel cannot name, ...). A record that is missing, unreadable or names
// another pid is left out: it never decides anything.
func Inspect(p Paths) (Status, error) {
	st, err := pidfile.Probe(p.PIDFile)
	if err != nil {
		return Status{Paths: p}, fmt.Errorf("inspect %s: %w", p.Name, err)
	}
	s := Status{Paths: p, Pidfile: st}
	if st.State != pidfile.Running {
		return s, nil
	}
	if r, err := ReadRecord(p.Record); err == nil && r.PID == st.PID {
		s.Record = &r
		if !r.StartedAt.IsZero() {
			s.Uptime = max(time.Since(r.StartedAt), 0)
		}
	}
	return s, nil
}
