package main

import (
	"errors"
	"fmt"
	"io"
)

// Exit codes, as DESIGN.md's table gives them per command.
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
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// withCode makes err end the process with code.
func withCode(code int, err error) error { return &exitError{code: code, err: err} }

// reportError prints err (unless it is silent) and returns its exit code: 1 unless it says otherwise.
func reportError(stderr io.Writer, err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintf(stderr, "daemonkit: %v\n", ee.err)
		}
		return ee.code
	}
	fmt.Fprintf(stderr, "daemonkit: %v\n", err)
	return exitFailed
}
