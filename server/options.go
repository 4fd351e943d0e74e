package server

import (
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/daemonkit/daemonkit/handshake"
	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/logfile"
)

// DefaultShutdownTimeout bounds a graceful stop when Options.ShutdownTimeout is zero.
const DefaultShutdownTimeout = 10 * time.Second

// Options configure one run. The zero value of every field but PIDFile is a safe default:
// nobody waits on a handshake, nothing is logged, the log is stderr and is not reopened, no
// record is written, SIGHUP reloads. Paths are absolute.
type Options struct {
	Name    string // instance name, in the log
	PIDFile string // required; locked for the whole life of the run
	// LogPath is the daemon's log: stdout and stderr (descriptors 1 and 2) already point at
	// it. It is reopened at this path on SIGHUP or SIGUSR1. "" in the foreground: logs go
	// to stderr and nothing is reopened.
	LogPath string
	// RecordPath is where Record is written once the workload is ready, and removed on a
	// graceful exit; "" writes none. Run sets Record's PID, StartedAt and Listen.
	RecordPath string
	Record     instance.Record
	// IgnoreHUP keeps SIGHUP ignored (the nohup strategy); SIGUSR1 still reopens the log.
	IgnoreHUP bool
	// HangupStops watches the terminal this process was started at (its controlling
	// terminal, or a standard descriptor that is one) for its hangup, and takes a SIGHUP
	// that comes within 2s after it, or within 2s before it while this process was the
	// terminal's foreground job, for a stop, as SIGTERM's, not a reload (during the start
	// too): the hangup of a closed window or a dropped ssh session, which the shell passes
	// on to its jobs. Any other SIGHUP reloads, and a hangup with none runs on (a start put
	// in the background and left: the user meant it to run on). Set
	// it for a start in the foreground, typed at a shell: not for a daemon, a unit's
	// process or PID 1. It does nothing with IgnoreHUP, or without a terminal.
	HangupStops bool
	// ShutdownTimeout bounds how long a stopping workload may drain before Run gives up on
	// it and returns (DefaultShutdownTimeout if zero). A second stop signal gives up at once.
	ShutdownTimeout time.Duration
	// ReadyTimeout, if positive, bounds how long the workload may take to say it is ready
	// (start's --ready-timeout, moved by ExtendStart as the launcher's is), counted from
	// Run's start, plus ReadyGrace with a Reporter, so that a launcher that is there gives
	// up first, with its own word. When it passes, Run calls the start off as a stop would,
	// and fails: a daemon whose launcher is gone (its terminal hung up, it was killed), or
	// a foreground start (a container's PID 1, where nothing else bounds a start; a unit,
	// whose TimeoutStartSec comes later so that daemonkit says why) would otherwise stay
	// "starting" for ever. 0: no bound.
	ReadyTimeout time.Duration
	// StartLock, if set, is the start lock its start command holds while it launches this
	// daemon (instance.BeginStart). Once Run holds the pidfile, it gives the start up if
	// that lock is no longer held: its start command was killed before the daemon held
	// the pidfile, and a stop then may have found neither held and said "not running".
	// "" in the foreground.
	StartLock string
	// Reporter is the daemon's end of the handshake; nil in the foreground. Why a start
	// failed is logged when a Reporter or a LogPath is set (the launcher quotes the log; the
	// log is a file of its own); with neither, the log is the caller's stderr, and Run only
	// returns the error, for the caller to say once.
	Reporter *handshake.Reporter
	// SignalsCaught, if set, is called once Run catches SIGTERM and SIGINT itself, before
	// it takes the pidfile. A caller that caught them until then (a foreground's Ctrl-C
	// handling, which cancels ctx) stops catching them here: every process-wide signal
	// channel gets each signal, so one SIGTERM seen by both would count as two stops, and
	// the second cuts the drain short.
	SignalsCaught func()
	// Ready, if set, is called once, on Run's goroutine, when the workload is ready and its
	// record is written (so that the instance reads as running, with the record of this
	// run), before Run says "started" and reports it ready; never if the start fails. A
	// foreground start gives its log's claim up there (see cli's claimLog).
	Ready func()
	// Logger is the daemon's logger; nil logs nothing.
	Logger hclog.Logger
	// LogWriter, if set, is what Logger writes through (on the log's descriptor 2, or the
	// daemon's own of LogDescriptors): Run keeps the record's count of the lines it
	// dropped (a full disk) up to date.
	LogWriter *logfile.Writer
	// LogDescriptors, if set, holds the log at LogPath: the daemon's own descriptor, which
	// LogWriter writes, and 1 and 2. A reopen redirects them (Descriptors.Redirect), never
	// replacing a 1 or 2 that the workload closed and whose number another of its files
	// has now; nil redirects 1 and 2 alone, whatever they name (logfile.Redirect).
	LogDescriptors *logfile.Descriptors
	// NotifyManager says this run is a service manager's main process in the foreground
	// (systemd Type=notify, $NOTIFY_SOCKET set): tell it READY=1, RELOADING=1, STOPPING=1,
	// and WATCHDOG=1 when it asks for it.
	NotifyManager bool
	// PIDFileCheck is how often the daemon checks that its pidfile's path still names the
	// file it holds, and takes it back if not (DefaultPIDFileCheck if zero), where it
	// cannot watch the pidfile's directory. On Linux it checks whenever the directory says
	// the pidfile's name changed, and every minute at least, or every PIDFileCheck if that
	// is longer.
	PIDFileCheck time.Duration
}

// DefaultPIDFileCheck is how often a daemon that cannot watch its pidfile checks it when
// Options.PIDFileCheck is zero: an fstat and an lstat, a second apart.
const DefaultPIDFileCheck = time.Second
