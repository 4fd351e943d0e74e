// Package strategy defines how a daemon is detached from the shell that starts it: the
// Strategy interface, the registry that maps a name to one, the Spec of what to detach, and
// the parent side of the readiness handshake that every strategy shares (Launch).
//
// A strategy package registers itself in init() with a one-line call to Register; a binary
// gets it with a blank import.
package strategy

import (
	"os"
	"time"
)

// Strategy starts a daemon process its own way. It never holds the pidfile and never
// waits for readiness: Launch does that, the same way for every strategy.
type Strategy interface {
	// Start starts the process that becomes (or leads to) the daemon described by spec,
	// with files as its standard descriptors and files.Ready as its descriptor 3, and
	// returns as soon as that process exists.
	Start(spec Spec, files Files) (Started, error)
}

// Spec is what to detach. Every path in it is absolute.
type Spec struct {
	Name         string        // instance name, for messages
	Path         string        // executable to run; "" means this binary (/proc/self/exe)
	Argv0        string        // argv[0] the daemon keeps; "" means os.Args[0]
	Args         []string      // the daemon's arguments after argv[0]
	Env          []string      // the daemon's environment; nil means this process's
	Dir          string        // working directory; "" means the strategy's default
	LogPath      string        // the daemon's stdout and stderr, appended to
	PIDFile      string        // the pidfile the daemon will lock (Launch cleans it up on failure)
	ReadyTimeout time.Duration // how long Launch waits for READY before it kills the daemon
}

// Files are the descriptors a strategy hands the process it starts. Launch opens them once.
type Files struct {
	Stdin  *os.File // /dev/null
	Stdout *os.File // the log, opened for appending
	Stderr *os.File // the log, opened for appending
	Ready  *os.File // write end of the handshake pipe; becomes descriptor 3
}

// ReadyFD is the descriptor number the handshake pipe has in the daemon.
const ReadyFD = 3

// Started is what Start made.
type Started struct {
	// Process is the direct child that Start created. The caller reaps it.
	Process *os.Process
	// IsDaemon says Process is the daemon itself; false means it is an intermediate
	// that exits on its own once the daemon exists (the re-exec double fork).
	IsDaemon bool
}
