// Package strategy is the contract of a detaching strategy, and nothing else: the Strategy
// interface, the Spec of what to detach, the Files it is given, the Traits it leaves behind,
// and the registry that maps a --strategy name to one (Register, Lookup, Names, All).
//
// A strategy starts one process its own way and returns. It never holds the pidfile and
// never waits for readiness: package launcher does that, the same way for every strategy.
// A strategy package registers itself in init() with a one-line call to Register; a binary
// gets it with a blank import. Package strategytest checks that a strategy leaves a daemon
// as its Traits say.
package strategy

import (
	"os"
	"time"
)

// Strategy starts a daemon process its own way.
type Strategy interface {
	// Start starts the process that becomes (or leads to) the daemon described by spec,
	// with files as its standard descriptors and files.Ready as its descriptor 3
	// (handshake.FD), and returns as soon as that process exists. Command builds the
	// command every strategy starts from. The daemon must not stay in the process group
	// of the process that calls Start (set SysProcAttr's Setpgid or Setsid, in it or in an
	// intermediate): a stop that must SIGKILL the daemon kills its whole process group,
	// and launcher.Launch refuses, and kills, a daemon in its own (launcher.ErrCallersGroup).
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
	PIDFile      string        // the pidfile the daemon will lock (the launcher cleans it up on failure)
	ReadyTimeout time.Duration // how long the launcher waits for READY before it kills the daemon
}

// Files are the descriptors a strategy hands the process it starts. The launcher opens them
// once, and closes its copies after Start.
type Files struct {
	Stdin  *os.File // /dev/null
	Stdout *os.File // the log, opened for appending
	Stderr *os.File // the log, opened for appending
	Ready  *os.File // write end of the handshake pipe; becomes descriptor handshake.FD (3)
}

// Started is what Start made.
type Started struct {
	// Process is the direct child that Start created. The caller reaps it.
	Process *os.Process
	// IsDaemon says Process is the daemon itself; false means it is an intermediate
	// that exits on its own once the daemon exists (the re-exec double fork); the
	// launcher waits a few seconds for it to exit, then kills it. A Process that
	// turns out to be the daemon that reported ready is taken as the daemon all the same.
	IsDaemon bool
}
