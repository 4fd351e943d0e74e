// Package setsid is the detaching strategy that starts one child in a new session: the
// daemon leads its session, has no controlling terminal, handles SIGHUP (reload) and runs
// in / unless told otherwise. It is one process fewer than reexec; a session leader could
// acquire a terminal by opening one, which a daemon that never opens a tty never does.
//
// A binary gets it with a blank import.
package setsid

import (
	"syscall"

	"github.com/daemonkit/daemonkit/strategy"
)

// Name is what --strategy takes.
const Name = "setsid"

func init() {
	strategy.Register(strategy.Descriptor{Name: Name, Summary: summary, Traits: traits, New: New})
}

const summary = "starts one child in a new session, which it leads: one process fewer, no terminal unless it opens one"

// traits are what the daemon is left with (docs/strategies.md has the table).
var traits = strategy.Traits{NewSession: true, SessionLeader: true, DefaultDir: "/"}

// Strategy starts the daemon as a direct child that calls setsid(2).
type Strategy struct{}

var _ strategy.Strategy = (*Strategy)(nil)

// New returns the setsid strategy.
func New() strategy.Strategy { return &Strategy{} }

// Start starts the daemon in a new session (it is the session and process-group leader,
// with no controlling terminal), with the descriptors in files and no other. The child it
// returns is the daemon itself.
func (*Strategy) Start(spec strategy.Spec, files strategy.Files) (strategy.Started, error) {
	cmd, err := strategy.Command(spec, files, traits.DefaultDir)
	if err != nil {
		return strategy.Started{}, err
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return strategy.Started{}, err
	}
	return strategy.Started{Process: cmd.Process, IsDaemon: true}, nil
}
