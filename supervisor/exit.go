package supervisor

import (
	"fmt"
	"syscall"

	"golang.org/x/sys/unix"
)

// ExitError is how the supervised program ended, when the supervisor ends with it: its
// ExitCode is what the daemon exits with (the status, or 128+N after signal N).
type ExitError struct {
	Status syscall.WaitStatus
	GaveUp bool // the supervisor gave up restarting a program that kept ending
	// Failure, if set, is why the last restart never ran or got ready ("could not start:
	// ..."), Status then being a stand-in failure (exit status 1); or how the main process
	// the program named (MAINPID=) ended, which ended the copy ("main process 4251 (named
	// by MAINPID=) exited with status 3"), Status then being that status, or the stand-in
	// where it cannot be known.
	Failure string
	// OfReload says the program died of the reload signal the supervisor passed on to that
	// very process (killed by it): it does not handle it, and was not reloaded.
	OfReload bool
	// StoppedBy, if set, is the stop signal that ended the supervisor while no copy of the
	// program ran (StoppedWhen) or a restart's copy was not ready yet (Starting): Status is
	// then unset, and ExitCode is 128+StoppedBy, as a copy killed by that signal gives.
	StoppedBy syscall.Signal
	// StoppedWhen, with StoppedBy and not Starting, says when no copy ran: "between
	// restarts" (the default), or "as its copy ended" (the rest of a copy whose named main
	// process had ended was being stopped).
	StoppedWhen string
	// Starting, with StoppedBy, says a copy of a restart was starting (not ready yet) when
	// the stop came: it was stopped, and the start called off, as a first start's is.
	Starting bool
}

// Clean reports an end nobody need look into (server.CleanEnd): the program exited 0, and
// was not to be started again.
func (e *ExitError) Clean() bool {
	return !e.GaveUp && e.StoppedBy == 0 && e.Status.Exited() && e.Status.ExitStatus() == 0
}

// Error reads "program exited with status 3", "program killed by signal 9 (SIGKILL)",
// "program could not start: ...".
func (e *ExitError) Error() string {
	switch {
	case e.StoppedBy != 0 && e.Starting:
		return "program stopped by " + sigName(e.StoppedBy) + " before its restarted copy was ready"
	case e.StoppedBy != 0:
		when := e.StoppedWhen
		if when == "" {
			when = "between restarts"
		}
		return "program stopped " + when + " by " + sigName(e.StoppedBy)
	}
	if e.Failure != "" {
		return "program " + e.Failure
	}
	return "program " + describeEnd(e.Status, e.OfReload)
}

// ExitCode is the status to exit with, as a shell reports it.
func (e *ExitError) ExitCode() int {
	if e.StoppedBy != 0 {
		return 128 + int(e.StoppedBy)
	}
	return exitCode(e.Status)
}

// exitCode is ws as a shell's $?.
func exitCode(ws syscall.WaitStatus) int {
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}

// describe says how a process ended: "exited with status 3", "killed by signal 9
// (SIGKILL)".
func describe(ws syscall.WaitStatus) string {
	switch {
	case ws.Exited():
		return fmt.Sprintf("exited with status %d", ws.ExitStatus())
	case ws.Signaled():
		if name := unix.SignalName(ws.Signal()); name != "" {
			return fmt.Sprintf("killed by signal %d (%s)", int(ws.Signal()), name)
		}
		return fmt.Sprintf("killed by signal %d", int(ws.Signal()))
	}
	return "ended"
}

// ofReloadNote ends the description of a program that died of the reload signal the
// supervisor passed on to it: why, and the fix.
const ofReloadNote = ", the reload signal passed on to it: it does not handle it (a Go program must signal.Notify it); not reloaded"

// describeEnd is describe(ws), and for a program that died of the reload signal passed on
// to it (ofReload) says so, and the fix: "killed by signal 1 (SIGHUP), the reload signal
// passed on to it: it does not handle it (...); not reloaded".
func describeEnd(ws syscall.WaitStatus, ofReload bool) string {
	if ofReload {
		return describe(ws) + ofReloadNote
	}
	return describe(ws)
}

// failed reports whether an end counts as a failure for RestartOnFailure.
func failed(ws syscall.WaitStatus) bool { return ws.Signaled() || ws.ExitStatus() != 0 }
