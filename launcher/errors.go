package launcher

import (
	"errors"
	"fmt"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/daemonkit/daemonkit/handshake"
)

// ErrNotReady is matched (errors.Is) by every *NotReadyError: the daemon did not report
// ready within the spec's ReadyTimeout, and Launch killed it.
var ErrNotReady = errors.New("daemon not ready")

// ErrExited is matched (errors.Is) by the error Launch returns when the daemon exited (or
// closed the handshake) before it reported anything final.
var ErrExited = errors.New("daemon exited before it was ready")

// ErrWorkFailed is matched (errors.Is) by the error Launch returns when the daemon said
// that its work failed before it was ready: the serve function returned an error or
// panicked, or a supervised program ended. The message is the daemon's own. It is
// handshake.ErrWorkFailed, which the daemon's side (package server) matches too.
var ErrWorkFailed = handshake.ErrWorkFailed

// ErrStopped is matched (errors.Is) by every *StoppedError: a stop came before the daemon
// was ready, the daemon said so, and then it did not end with its own word.
var ErrStopped = errors.New("stopped before it was ready")

// StoppedError says a stop called the start off (the daemon said it was stopping before it
// was ready), and the daemon then ended without its last report: it was killed during its
// drain (a stop's --timeout, stop --signal KILL), or Launch killed it when even the drain's
// bound had passed. The daemon is gone when Launch returns this error.
type StoppedError struct {
	Why string // the daemon's word: "stopped by SIGTERM"
	How string // how it then ended: "killed by signal 9 (SIGKILL) during its drain"
	PID int    // the daemon; 0 if it never reported its pid
	log string // the last lines of its log, already formatted
}

// Error reads "stopped by SIGTERM before it was ready; killed by signal 9 (SIGKILL) during
// its drain (pid N)", followed by the last lines the daemon wrote to its log, if any.
func (e *StoppedError) Error() string {
	pid := ""
	if e.PID > 0 {
		pid = fmt.Sprintf(" (pid %d)", e.PID)
	}
	return fmt.Sprintf("%s before it was ready; %s%s%s", e.Why, e.How, pid, e.log)
}

// Is makes errors.Is(err, ErrStopped) true.
func (e *StoppedError) Is(target error) bool { return target == ErrStopped }

// ErrNoProcess is matched (errors.Is) by the error Launch returns when the strategy's
// Start returned neither a Process nor an error: a strategy's bug, reported rather than
// left to crash.
var ErrNoProcess = errors.New("the strategy started no process")

// NotReadyError says the daemon was not ready in time. Launch has killed it (SIGKILL) and
// waited for it to be gone before returning this error.
type NotReadyError struct {
	After  time.Duration // the ReadyTimeout that passed, or the longer wait the daemon asked for
	PID    int           // the daemon that was killed; 0 if it never reported its pid
	Status string        // the last status line the daemon sent, if any
	// Stopped says the daemon was stopped by a signal (SIGSTOP, SIGTSTP) at the deadline:
	// it got nowhere, whatever its last status said.
	Stopped bool
	log     string // the last lines of its log, already formatted
}

// Error reads "not ready after 10s; killed it (pid N)", followed by the last lines the
// daemon wrote to its log, if any.
func (e *NotReadyError) Error() string {
	killed := "killed it"
	if e.PID > 0 {
		killed = fmt.Sprintf("killed it (pid %d)", e.PID)
	}
	status := ""
	switch {
	case e.Stopped:
		status = " (the daemon was stopped by a signal, SIGSTOP or SIGTSTP, and got nowhere)"
	case e.Status != "":
		status = fmt.Sprintf(" (its last status: %q)", e.Status)
	}
	return fmt.Sprintf("not ready after %s%s; %s%s", e.After, status, killed, e.log)
}

// Is makes errors.Is(err, ErrNotReady) true.
func (e *NotReadyError) Is(target error) bool { return target == ErrNotReady }

// ErrCanceled is matched (errors.Is) by every *CanceledError: the launch was given up
// before the daemon was ready, and Launch killed the daemon.
var ErrCanceled = errors.New("launch canceled")

// CanceledError says the launch's context was done (Ctrl-C, SIGTERM: Cause says which)
// before the daemon was ready. Launch has killed the daemon (SIGKILL) and waited for it to
// be gone before returning this error.
type CanceledError struct {
	Cause error // context.Cause of the launch's context
	PID   int   // the daemon that was killed; 0 if it never reported its pid
	log   string
}

// Error reads "interrupted by SIGINT before the daemon was ready; killed it (pid N)",
// followed by the last lines the daemon wrote to its log, if any.
func (e *CanceledError) Error() string {
	pid := ""
	if e.PID > 0 {
		pid = fmt.Sprintf(" (pid %d)", e.PID)
	}
	return fmt.Sprintf("%v before the daemon was ready; killed it%s%s", e.Cause, pid, e.log)
}

// Unwrap is Cause, so that errors.As finds what ended the launch.
func (e *CanceledError) Unwrap() error { return e.Cause }

// Is makes errors.Is(err, ErrCanceled) true.
func (e *CanceledError) Is(target error) bool { return target == ErrCanceled }

// describeStatus says how a process ended: "exit status 3", "killed by signal 9 (SIGKILL)".
func describeStatus(ws syscall.WaitStatus) string {
	switch {
	case ws.Exited():
		return fmt.Sprintf("exit status %d", ws.ExitStatus())
	case ws.Signaled():
		sig := ws.Signal()
		if name := unix.SignalName(sig); name != "" {
			return fmt.Sprintf("killed by signal %d (%s)", int(sig), name)
		}
		return fmt.Sprintf("killed by signal %d", int(sig))
	}
	return "exited"
}
