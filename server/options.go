package server

import (
	"errors"
	"time"

	"github.com/daemonkit/daemonkit/instance"
)

// Defaults for the zero values of Options.
const (
	DefaultHeartbeat       = time.Second
	DefaultShutdownTimeout = 10 * time.Second
)

// ErrAlreadyRunning is wrapped by the error Run returns when another process holds the
// pidfile lock; that error also wraps the *pidfile.LockedError naming the holder.
var ErrAlreadyRunning = errors.New("already running")

// Options configure one daemon (or foreground) run. Paths are absolute.
type Options struct {
	Name            string        // instance name, shown by /status and in the log
	Strategy        string        // shown by /status; "" in the foreground
	Listen          string        // address to bind, e.g. "127.0.0.1:0"
	Heartbeat       time.Duration // log a heartbeat line this often (DefaultHeartbeat if <= 0)
	ShutdownTimeout time.Duration // how long requests in flight may finish on SIGTERM/SIGINT (DefaultShutdownTimeout if <= 0)
	PIDFile         string        // required; locked for the whole life of the run
	// LogPath is the daemon's log: stdout and stderr (descriptors 1 and 2) already point at
	// it. It is reopened at this path on SIGHUP or SIGUSR1. "" in the foreground: logs go
	// to stderr and nothing is reopened.
	LogPath    string
	RecordPath string // where the instance.Record is written once ready; removed on exit; "" writes none
	// Record is prefilled by the caller (Name, Strategy, Log, PIDFile, StartArgs); Run sets
	// PID, StartedAt and Listen, and fills Name, Strategy, Log and PIDFile from the fields
	// above if they are empty.
	Record    instance.Record
	IgnoreHUP bool // SIGHUP stays ignored (the nohup strategy); SIGUSR1 still reopens the log
	Umask     int  // applied first thing if >= 0; -1 leaves the inherited umask
}

// withDefaults fills in the zero durations.
func (o Options) withDefaults() Options {
	if o.Heartbeat <= 0 {
		o.Heartbeat = DefaultHeartbeat
	}
	if o.ShutdownTimeout <= 0 {
		o.ShutdownTimeout = DefaultShutdownTimeout
	}
	return o
}
