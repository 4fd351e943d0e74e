// Package reexec is the default detaching strategy, the classic double fork done by
// re-executing: this binary runs itself as an intermediate (the hidden command "_reexec")
// in a new session, and the intermediate runs the daemon and exits at once. The daemon is
// in a new session but is not its leader, so it can never acquire a controlling terminal;
// once the intermediate is gone it is reparented to init or the nearest subreaper. No
// parent-death signal is set anywhere.
//
// A binary gets it with a blank import, and must route its hidden command Command to
// Continue.
package reexec

import (
	"syscall"

	"github.com/daemonkit/daemonkit/strategy"
)

// Name is what --strategy takes.
const Name = "reexec"

// Command is the hidden command the intermediate runs: `ARGV0 _reexec ARGS...`. The binary
// must hand what follows it to Continue.
const Command = "_reexec"

func init() {
	strategy.Register(strategy.Descriptor{Name: Name, Summary: summary, Traits: traits, New: New})
}

const summary = "re-executes itself twice; the daemon is in a new session but not its leader, so it can never get a terminal"

// traits are what the daemon is left with (docs/strategies.md has the table).
var traits = strategy.Traits{NewSession: true, DefaultDir: "/"}

// Strategy starts the re-exec intermediate, which starts the daemon.
type Strategy struct{}

var _ strategy.Strategy = (*Strategy)(nil)

// New returns the reexec strategy.
func New() strategy.Strategy { return &Strategy{} }

// Start runs this binary (spec.Path, or /proc/self/exe) as `ARGV0 _reexec ARGS...` in a new
// session, with spec's environment, working directory and descriptors; spec.Args begin
// with the daemon's own hidden command. The child it returns is the intermediate, which
// starts the daemon `ARGV0 ARGS...` and exits without waiting for it.
func (*Strategy) Start(spec strategy.Spec, files strategy.Files) (strategy.Started, error) {
	cmd, err := strategy.Command(spec, files, traits.DefaultDir)
	if err != nil {
		return strategy.Started{}, err
	}
	cmd.Args = append([]string{cmd.Args[0], Command}, spec.Args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return strategy.Started{}, err
	}
	return strategy.Started{Process: cmd.Process, IsDaemon: false}, nil
}
