// Package nohup is the detaching strategy of nohup(1), done properly: one child in its own
// process group but in the caller's session, so it keeps the caller's controlling terminal
// and working directory, ignoring SIGHUP (reload is SIGUSR1), with its output in the log rather than on the terminal.
//
// A binary gets it with a blank import.
package nohup

import (
	"syscall"

	"github.com/daemonkit/daemonkit/strategy"
)

// Name is what --strategy takes.
const Name = "nohup"

func init() {
	strategy.Register(strategy.Descriptor{Name: Name, Summary: summary, Traits: traits, New: New})
}

const summary = "starts one child with SIGHUP ignored in its own process group; it keeps the caller's terminal, session and working directory"

// traits are what the daemon is left with (docs/strategies.md has the table).
var traits = strategy.Traits{KeepsTerminal: true, IgnoresHUP: true}

// Strategy starts the daemon as a direct child that ignores SIGHUP.
type Strategy struct{}

var _ strategy.Strategy = (*Strategy)(nil)

// New returns the nohup strategy.
func New() strategy.Strategy { return &Strategy{} }

// Start starts the daemon in a process group of its own (so the terminal's job control
// never reaches it), in the caller's session, in the caller's working directory unless
// spec.Dir says otherwise. The child it returns is the daemon.
//
// Start changes nothing in the calling process: SIGHUP is not ignored here (Go cannot give
// a caller's signal.Notify back once it has), so the daemon, told by Traits.IgnoresHUP,
// ignores SIGHUP itself first thing after it is executed. Until then (the Go runtime's
// start-up, well under a millisecond) a SIGHUP sent to its new process group would end it,
// as one sent between fork and signal() ends nohup(1) itself.
func (*Strategy) Start(spec strategy.Spec, files strategy.Files) (strategy.Started, error) {
	cmd, err := strategy.Command(spec, files, traits.DefaultDir)
	if err != nil {
		return strategy.Started{}, err
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return strategy.Started{}, err
	}
	return strategy.Started{Process: cmd.Process, IsDaemon: true}, nil
}
