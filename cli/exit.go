package cli

import (
	"cmp"
	"errors"
	"fmt"

	"github.com/alecthomas/kong"
	"github.com/hashicorp/go-hclog"

	"github.com/daemonkit/daemonkit/internal/openfiles"
)

// Exit codes of the commands (docs/commands.md has the table).
const (
	exitOK         = 0
	exitFailed     = 1 // start: could not start; stop: could not stop; status: stale pidfile
	exitUsage      = 2
	exitAlreadyUp  = 3 // start: already running
	exitNotRunning = 3 // status: not running
	exitCannotTell = 4 // status: state could not be read
	exitSoftware   = 70
)

// exitError carries the exit code a command wants, with the message to print (if any).
type exitError struct {
	code int
	err  error // nil: print nothing, the command already said what it had to
	said error // with err nil: what the command said already, for errors.Is and errors.As
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

// Unwrap is the error to print, or the one the command said already: a program that
// embeds the commands tells what a start's error was (ErrAlreadyRunning, ErrServeFailed)
// whether or not it was printed.
func (e *exitError) Unwrap() error {
	if e.err != nil {
		return e.err
	}
	return e.said
}

// ExitCode is the process exit code the error asks for.
func (e *exitError) ExitCode() int { return e.code }

// withCode makes err end the process with code.
func withCode(code int, err error) error { return &exitError{code: code, err: err} }

// saidWithCode is withCode(code, nil) for err, which the command has printed already:
// nothing is printed again, but the error still matches what err matches.
func saidWithCode(code int, err error) error { return &exitError{code: code, said: err} }

// Exit prints what a command's error says (nothing for nil, or for an error whose command
// already said it) to c.Stderr, as "NAME: message", and returns the process's exit code: a
// Kong parse error is a usage error (2), an error with an ExitCode method gives its own.
// A Kong program ends with os.Exit(cfg.Exit(kctx.Run())), and may pass its parse error too.
func (c Config) Exit(err error) int {
	c = c.withDefaults()
	return c.exitCode(err)
}

func (c Config) exitCode(err error) int { return c.exitIn("text", err) }

// exitIn is Exit for a command line parsed with --log-format format: what the error says
// is written as sayLine writes, so that with "json" it is one JSON line, as the command's
// own logs are, and a collector reading stderr as JSON lines (a container's PID 1) reads
// its last line too: at level error, but at level info for exit 0 (a foreground start
// whose program exited 0), which is no error. Its control characters are escaped.
func (c Config) exitIn(format string, err error) int {
	code, msg := c.outcome(err)
	if msg != "" {
		level := hclog.Error
		if code == exitOK {
			level = hclog.Info
		}
		sayLine(c.Stderr, c.Name, format, level, "", msg, "exit_code", code)
	}
	return code
}

// outcome is the exit code err asks for, and what to say of it ("" for nothing): with a
// limit on open files that refused it and that no step named, which, and the fix
// (openfiles.Advice), the one place every command's "too many open files" is explained.
func (c Config) outcome(err error) (int, string) {
	code, msg := c.plainOutcome(err)
	if why := openfiles.Advice(err); why != "" && msg != "" {
		msg += ": " + why
	}
	return code, msg
}

// plainOutcome is outcome without the limit's advice.
func (c Config) plainOutcome(err error) (int, string) {
	if err == nil {
		return exitOK, ""
	}
	var perr *kong.ParseError
	if errors.As(err, &perr) { // a Kong program's own parse: a usage error
		msg := "error: " + err.Error()
		if !errors.As(err, new(*exitError)) && perr.Context != nil { // Run says its notes itself
			// what restart was given but does not take, as Run says it (grammar.go)
			if note := cmp.Or(startOptionNote(c, perr), restartArgsNote(c, perr, perr.Context.Args)); note != "" {
				msg += "\n" + note
			}
		}
		return exitUsage, msg
	}
	var coded interface{ ExitCode() int }
	if errors.As(err, &coded) && !errors.As(err, new(*exitError)) {
		return coded.ExitCode(), err.Error()
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err == nil {
			return ee.code, ""
		}
		return ee.code, ee.err.Error()
	}
	return exitFailed, err.Error()
}
