package strategy

import (
	"encoding/json"
	"fmt"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// Report is one message of the readiness handshake: the daemon writes one JSON object per
// line down the pipe at descriptor 3, and Launch reads them. A daemon sends its pid first,
// then exactly one of Ready, Running or Error, then closes the pipe. EOF before that means
// the daemon died.
type Report struct {
	PID     int    `json:"pid,omitempty"`     // the daemon's pid: always the first message
	Ready   bool   `json:"ready,omitempty"`   // the workload is ready
	Listen  string `json:"listen,omitempty"`  // with Ready: the address it listens on, if any
	Running int    `json:"running,omitempty"` // already running: the pid that holds the pidfile lock
	Error   string `json:"error,omitempty"`   // why it could not start
}

// Reporter is the daemon's end of the handshake. A nil *Reporter (a daemon running in the
// foreground, with nobody waiting) accepts every call and does nothing.
type Reporter struct {
	mu sync.Mutex
	f  *os.File
}

// OpenReporter takes over descriptor fd, which Launch made the write end of the handshake
// pipe, and marks it close-on-exec so no program the daemon runs inherits it.
func OpenReporter(fd int) (*Reporter, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, fmt.Errorf("handshake descriptor %d: %w", fd, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFIFO {
		return nil, fmt.Errorf("handshake descriptor %d is not a pipe: started by hand? use `daemonkit start -d`", fd)
	}
	unix.CloseOnExec(fd)
	return &Reporter{f: os.NewFile(uintptr(fd), "handshake")}, nil
}

// Started tells Launch the daemon's pid. It comes before anything can go wrong, so that
// Launch can always name, and if need be kill, exactly this process.
func (r *Reporter) Started(pid int) error { return r.send(Report{PID: pid}, false) }

// Ready tells Launch the workload is ready (listening on listen, if it listens) and ends
// the handshake.
func (r *Reporter) Ready(listen string) error {
	return r.send(Report{PID: os.Getpid(), Ready: true, Listen: listen}, true)
}

// AlreadyRunning tells Launch another daemon (pid) holds the pidfile, and ends the handshake.
func (r *Reporter) AlreadyRunning(pid int) error {
	return r.send(Report{PID: os.Getpid(), Running: pid}, true)
}

// Fail tells Launch why the daemon cannot start, and ends the handshake.
func (r *Reporter) Fail(err error) error {
	return r.send(Report{PID: os.Getpid(), Error: err.Error()}, true)
}

// Close ends the handshake without a word; Launch will read that as the daemon's death
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
