package server

import (
	"os"
	"os/signal"

	"github.com/daemonkit/daemonkit/internal/mainthread"
	"golang.org/x/sys/unix"
)

// signals are the daemon's signal channels, set up before anything else so that a stop
// issued while the daemon is still starting waits in stop until the run loop takes it.
type signals struct {
	stop    chan os.Signal // SIGTERM, SIGINT, and what a StopSignaler workload asked for
	reopen  chan os.Signal // SIGUSR1, and SIGHUP unless it is ignored
	forward chan os.Signal // what a Forwarder workload asked for
	// problems met while clearing the signal state inherited at exec; logged only once
	// the pidfile lock is held, so an instance that is already running sees no line.
	problems []error
}

// watchSignals starts catching the daemon's signals, from the main thread where it can,
// and clears what was inherited at exec: no signal stays blocked on the main thread, and
// none stays ignored except SIGHUP when ignoreHUP and those the program ignored itself
// (signal.Ignore, see clearInherited). forward and stop are the workload's own
// (Forwarder, StopSignaler).
func watchSignals(ignoreHUP bool, forward, stop []os.Signal) *signals {
	s := newSignals()
	onMain := mainthread.Run(func() {
		signal.Notify(s.stop, append([]os.Signal{unix.SIGTERM, unix.SIGINT}, stop...)...)
		if len(forward) > 0 {
			signal.Notify(s.forward, forward...)
		}
		if ignoreHUP {
			signal.Ignore(unix.SIGHUP)
			signal.Notify(s.reopen, unix.SIGUSR1)
		} else {
			signal.Notify(s.reopen, unix.SIGHUP, unix.SIGUSR1)
		}
		awaitSignalThread() // before this thread is unlocked: os/signal's must not be this one
		s.problems = append(s.problems, clearInherited(ignoreHUP)...)
	})
	if !onMain {
		s.problems = append(s.problems, mainthread.ErrBlocked)
	}
	return s
}

// newSignals makes the channels, not yet caught into. os/signal drops a signal whose
// channel is full, so reopen holds more than one: a reopen (SIGUSR1) not yet taken by the
// run loop must not drop a reload (SIGHUP) sent just after it (reload after a refused
// check reopens the log; logrotate's reopen and a deploy's reload meet). One stop signal
// is enough: a second one while the first waits is the same stop.
func newSignals() *signals {
	return &signals{stop: make(chan os.Signal, 1), reopen: make(chan os.Signal, 8), forward: make(chan os.Signal, 8)}
}

// close stops catching; the channels are left to the garbage collector.
func (s *signals) close() {
	signal.Stop(s.stop)
	signal.Stop(s.reopen)
	signal.Stop(s.forward)
}

// SIGHUP, SIGUSR1 and SIGTERM as os.Signal values, to compare with what the channels
// deliver.
var (
	sighup  os.Signal = unix.SIGHUP
	sigusr1 os.Signal = unix.SIGUSR1
	sigterm os.Signal = unix.SIGTERM
)

// signalLabel names a signal as users write it: SIGTERM, not "terminated".
func signalLabel(sig os.Signal) string {
	if s, ok := sig.(unix.Signal); ok {
		if name := unix.SignalName(s); name != "" {
			return name
		}
	}
	return sig.String()
}
