// Package handshake is the wire protocol between a launcher and the daemon it starts: the
// daemon writes one JSON object per line down a pipe that it has as descriptor FD, and the
// launcher reads them. The daemon sends its pid first, then exactly one of ready, already
// running or an error, then closes the pipe; EOF before that means the daemon died.
//
// Both sides import this package and nothing else of each other.
package handshake

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// FD is the descriptor number the handshake pipe has in the daemon.
const FD = 3

// Report is one message of the handshake.
type Report struct {
	PID    int    `json:"pid,omitempty"`    // the daemon's pid: always the first message
	Ready  bool   `json:"ready,omitempty"`  // the workload is ready
	Listen string `json:"listen,omitempty"` // with Ready: the address it listens on, if any
	// With Ready: how many of its log lines the daemon could not write so far (its log's
	// file system full, say), so that the launcher can warn; 0 from an older daemon.
	Dropped uint64 `json:"dropped,omitempty"`
	Running int    `json:"running,omitempty"` // already running: the pid that holds the pidfile lock
	Error   string `json:"error,omitempty"`   // why it could not start
	// With Error: the daemon's work failed (returned an error, or panicked) before it was
	// ready (ErrWorkFailed), rather than the daemon before it ran the work; false from an
	// older daemon.
	Work bool `json:"work,omitempty"`
	// Before the outcome, any number of these: more time needed (the launcher's ready
	// timeout starts again with this much, as systemd's EXTEND_TIMEOUT_USEC), and a line of
	// status for the user (systemd's STATUS=).
	Extend time.Duration `json:"extend,omitempty"`
	Status string        `json:"status,omitempty"`
	// Stopping says a stop came before the daemon was ready, and why ("stopped by
	// SIGTERM"): it drains its work as a stop drains it, within Extend, and then fails with
	// that reason. A launcher that knows no Stopping takes it for an Extend alone.
	Stopping string `json:"stopping,omitempty"`
}

// Reporter is the daemon's end of the handshake. A nil *Reporter (a daemon running in the
// foreground, with nobody waiting) accepts every call and does nothing.
type Reporter struct {
	mu sync.Mutex
	f  *os.File
}

// OpenReporter takes over descriptor fd (FD, in a daemon), which the launcher made the write
// end of the handshake pipe, and marks it close-on-exec so no program the daemon runs
// inherits it. It refuses a descriptor that is not a pipe: the program was not started by a
// launcher.
func OpenReporter(fd int) (*Reporter, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, fmt.Errorf("handshake descriptor %d: %w", fd, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFIFO {
		return nil, fmt.Errorf("handshake descriptor %d is not a pipe: started by hand? use `start -d`", fd)
	}
	unix.CloseOnExec(fd)
	return &Reporter{f: os.NewFile(uintptr(fd), "handshake")}, nil
}

// Started tells the launcher the daemon's pid. It comes before anything can go wrong, so that
// the launcher can always name, and if need be kill, exactly this process.
func (r *Reporter) Started(pid int) error { return r.send(Report{PID: pid}, false) }

// Extend asks the launcher to wait d more from now before it gives up on readiness.
func (r *Reporter) Extend(d time.Duration) error {
	return r.send(Report{PID: os.Getpid(), Extend: d}, false)
}

// Stopping tells the launcher that a stop came before the daemon was ready (why: "stopped
// by SIGTERM"), and that the daemon drains its work, ending within d from now: the
// launcher waits that long for its end rather than kill it at its ready deadline.
func (r *Reporter) Stopping(why string, d time.Duration) error {
	return r.send(Report{PID: os.Getpid(), Extend: d, Stopping: why}, false)
}

// Status tells the launcher what the daemon is doing while it starts.
func (r *Reporter) Status(text string) error {
	return r.send(Report{PID: os.Getpid(), Status: text}, false)
}

// Ready tells the launcher the workload is ready (listening on listen, if it listens), and
// how many of its log lines could not be written so far (dropped), and ends the handshake.
func (r *Reporter) Ready(listen string, dropped uint64) error {
	return r.send(Report{PID: os.Getpid(), Ready: true, Listen: listen, Dropped: dropped}, true)
}

// AlreadyRunning tells the launcher another daemon (pid) holds the pidfile, and ends the handshake.
func (r *Reporter) AlreadyRunning(pid int) error {
	return r.send(Report{PID: os.Getpid(), Running: pid}, true)
}

// Fail tells the launcher why the daemon cannot start, and ends the handshake; an err that
// matches ErrWorkFailed (errors.Is) is reported as the work's failure (Report.Work).
func (r *Reporter) Fail(err error) error {
	return r.send(Report{PID: os.Getpid(), Error: err.Error(), Work: errors.Is(err, ErrWorkFailed)}, true)
}

// ErrWorkFailed is matched (errors.Is) by the error of a start whose work (a serve
// function, a supervised program) failed before it was ready: it returned an error or
// panicked, or ended. The daemon's side marks its error so (WorkFailed), Fail carries the
// mark to the launcher, and the launcher's error matches it again.
var ErrWorkFailed = errors.New("the work failed before it was ready")

// WorkFailed is err marked as the work's failure before it was ready: its message is
// err's, it unwraps to err, and it matches ErrWorkFailed. A nil err stays nil.
func WorkFailed(err error) error {
	if err == nil {
		return nil
	}
	return &workFailed{err}
}

type workFailed struct{ err error }

func (e *workFailed) Error() string        { return e.err.Error() }
func (e *workFailed) Unwrap() error        { return e.err }
func (e *workFailed) Is(target error) bool { return target == ErrWorkFailed }

// Close ends the handshake without a word; the launcher will read that as the daemon's death
// unless Ready, AlreadyRunning or Fail came first.
func (r *Reporter) Close() error {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f == nil {
		return nil
	}
	err := r.f.Close()
	r.f = nil
	return err
}

func (r *Reporter) send(rep Report, last bool) error {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f == nil {
		return nil // the handshake is over; the launcher has gone
	}
	line, err := json.Marshal(rep)
	if err != nil {
		return fmt.Errorf("encode handshake report: %w", err)
	}
	_, err = r.f.Write(append(line, '\n'))
	if last {
		if cerr := r.f.Close(); err == nil {
			err = cerr
		}
		r.f = nil
	}
	if err != nil {
		return fmt.Errorf("write handshake report: %w", err)
	}
	return nil
}
