package main

import (
	"strings"

	"github.com/daemonkit/daemonkit/strategy"
	// The strategies this binary offers: one blank import each.
	_ "github.com/daemonkit/daemonkit/strategy/nohup"
	_ "github.com/daemonkit/daemonkit/strategy/reexec"
	_ "github.com/daemonkit/daemonkit/strategy/setsid"
)

// CLI is daemonkit's grammar: the global flags and one field per command, each command in a
// file of its own.
type CLI struct {
	Globals

	Start      StartCmd      `cmd:"" help:"Start the built-in server, in the foreground or as a daemon (-d)."`
	Stop       StopCmd       `cmd:"" help:"Stop a daemon, safely: only the process that holds its pidfile lock is signalled."`
	Status     StatusCmd     `cmd:"" help:"Report whether a daemon runs (LSB exit codes: 0 running, 1 stale pidfile, 3 not running, 4 cannot tell)."`
	Restart    RestartCmd    `cmd:"" help:"Stop a daemon and start it again with the options it was started with."`
	Reload     ReloadCmd     `cmd:"" help:"Ask a daemon to reopen its log (SIGHUP; SIGUSR1 for nohup, which ignores SIGHUP)."`
	Strategies StrategiesCmd `cmd:"" help:"List the ways daemonkit can detach a daemon, and what each leaves behind."`

	Daemon DaemonCmd `cmd:"" name:"_daemon" hidden:"" help:"Run as the daemon that start -d launched (internal)."`
	Reexec ReexecCmd `cmd:"" name:"_reexec" hidden:"" help:"The re-exec strategy's intermediate process (internal)."`
}

// defaultStrategy is what start -d uses without --strategy or DAEMONKIT_STRATEGY.
const defaultStrategy = "reexec"

// grammarVars feed Kong's enums and defaults from the strategy registry.
func grammarVars() map[string]string {
	return map[string]string{
		"strategies":       strings.Join(strategy.Names(), ","),
		"default_strategy": defaultStrategy,
		"version":          version,
	}
}
