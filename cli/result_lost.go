package cli

import (
	"fmt"

	"github.com/hashicorp/go-hclog"
)

// watchResult makes app's stdout keep the first error of a write to it, for a command
// whose lines tell of what it did (start -d, stop, restart): a daemon started or stopped
// whose line could not be written (a full disk, /dev/full) is otherwise a silent exit 0.
// The function it returns is given the command's outcome, and returns it, having said on
// stderr that the lines were lost, if they were: the exit code stays the outcome's, which
// a script acts on, as status's does. verb is the command, as the message names it.
func watchResult(app *App, verb string) (outcome func(error) error) {
	out := &writeOnce{w: app.Stdout}
	app.Stdout = out
	return func(err error) error {
		if out.err == nil {
			return err
		}
		if err == nil {
			return withCode(exitOK, fmt.Errorf("%s succeeded (exit 0), but its result could not be written to standard output: %w", verb, out.err))
		}
		app.say(app.Config.Stderr, hclog.Warn, "warning: ", fmt.Sprintf("%s's result could not be written to standard output: %v", verb, out.err))
		return err
	}
}
