// Package nohup is the detaching strategy of nohup(1), done properly: one child in its own
// process group but in the caller's session, so it keeps the caller's controlling terminal
// and working directory, with SIGHUP ignored from the moment it is executed (reload is
// SIGUSR1) and its output in the log rather than on the terminal.
//
// A binary gets it with a blank import.
package nohup

import (
	"fmt"
	"os/signal"
	"syscall"

	"github.com/daemonkit/daemonkit/strategy"
)

// Name is what --strategy takes.
const Name = "nohup"

func init() {
	strategy.Register(strategy.Descriptor{Name: Name, Summary: summary, Traits: traits, New: New})
}

const summary = "starts one child with SIGHUP ignored in its own process group; it keeps the caller's terminal, session and working directory"

// traits are what the daemon is left with (DESIGN.md's strategy table).
var traits = strategy.Traits{KeepsTerminal: true, IgnoresHUP: true}

// Strategy starts the daemon as a direct child with SIGHUP ignored.
type Strategy struct{}

var _ strategy.Strategy = (*Strategy)(nil)

// New returns the nohup strategy.
func New() strategy.Strategy { return &Strategy{} }

// Start starts the daemon in a process group of its own (so the terminal's job control and
// hangup never reach it), in the caller's session, with SIGHUP ignored, in the caller's
// working directory unless spec.Dir says otherwise. The child it returns is the daemon.
//
// An ignored signal stays ignored across fork and exec, and Go's os/exec keeps in the child
// exactly the signals the parent ignores; so Start ignores SIGHUP in the calling process
// before it starts the child (signal.Ignore), and leaves it ignored: Go cannot give the
// default disposition back once a signal has been ignored (signal.Reset does not undo
// signal.Ignore), and signal.Ignore cancels any signal.Notify for SIGHUP. A caller that
// must receive SIGHUP afterwards calls signal.Notify again after Start (Launch). A caller
// that already ignored SIGHUP is unchanged. For the daemonkit command, which exits once the
// daemon is ready, this changes nothing that matters.
func (*Strategy) Start(spec strategy.Spec, files strategy.Files) (strategy.Started, error) {
	cmd, err := strategy.Command(spec, files, traits.DefaultDir)
	if err != nil {
		return strategy.Started{}, fmt.Errorf("start daemon: %w", err)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	signal.Ignore(syscall.SIGHUP)
	if err := cmd.Start(); err != nil {
		return strategy.Started{}, fmt.Errorf("start daemon: %w", err)
	}
	return strategy.Started{Process: cmd.Process, IsDaemon: true}, nil
}
