package supervisor

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Config says what to run and how to supervise it. The zero value of every field but
// Command is a default: ready when executed and still alive after 200ms, never restarted.
type Config struct {
	Command []string // the program and its arguments; the program is looked up in PATH
	Path    string   // the program's executable, if not Command[0] looked up in PATH
	Env     []string // its environment; nil is the daemon's own (less NOTIFY_SOCKET)
	// Credential, if set, is the user the program runs as: the kernel sets its groups, gid
	// and uid at exec, and the supervisor checks them in /proc before it goes on.
	Credential *syscall.Credential
	// JSONLines, if set, writes each line of the program's output as a JSON object, in the
	// shape of the daemon's own JSON log (--log-format json), so that the log stays one
	// JSON object a line: @level info, @message the line, @module "program", @timestamp,
	// pid, and stream (stdout or stderr).
	JSONLines bool
	// ListenKey, if set, is an sd_notify assignment whose value, with READY=1, says where
	// the program listens.
	ListenKey string
	// FailKey, if set, is an sd_notify assignment whose value, sent before READY=1, says
	// in the program's own words why it could not start: the start fails with that as its
	// error, not with how the program ended, and the program (which waits to be ended) is
	// killed as any copy that failed its start.
	FailKey string

	// OpenFiles, if not 0, is the program's limit on open files (RLIMIT_NOFILE, soft and
	// hard), set by the exec step just before it executes the program, so that the
	// supervisor keeps its own: a low limit that suits the program would leave the
	// supervisor no descriptors for its pipes and its log.
	OpenFiles uint64

	// Sockets are bound once, before the program starts, and handed to every copy of it
	// as descriptors 3 and up (systemd's socket activation), through an exec step that
	// sets LISTEN_PID. With sockets, each copy leads a process group of its own, so that
	// an upgrade can end one copy without touching another.
	Sockets []Socket
	// ExecStep is the path of this binary, whose ExecCommand runs Exec: the program starts
	// through it when it is handed Sockets or given OpenFiles.
	ExecStep string
	// ControlPath, if set, is where the supervisor listens for upgrade requests (a unix
	// socket only its own user and root may use).
	ControlPath string
	// DrainTimeout bounds how long an old copy may drain after an upgrade before SIGKILL
	// (ShutdownTimeout if zero).
	DrainTimeout time.Duration
	// OnUpgrade, if set, is told the command line of each copy an upgrade made serve, with
	// the Serve context (to update the record through server.UpdateRecord).
	OnUpgrade func(ctx context.Context, command []string)

	Ready         Readiness     // how to tell it is ready (zero: exec)
	ReadyGrace    time.Duration // exec: how long it must stay alive (200ms if zero)
	ReadyInterval time.Duration // tcp, http, cmd: how often to try (100ms if zero)
	// ReadyTimeout bounds how long a restarted copy may take to get ready (moved later by
	// its EXTEND_TIMEOUT_USEC=, never earlier): one that is not ready in time is killed with
	// what it started, and counts as a failed run for the back-off and MaxRestarts (10s if
	// zero). The first copy's bound is the daemon runtime's (start's --ready-timeout).
	ReadyTimeout time.Duration

	Restart      Policy        // when to start it again after it ends on its own
	RestartDelay time.Duration // the first back-off, doubling up to 30s (100ms if zero)
	MinUptime    time.Duration // a run this long resets the back-off and the count (10s if zero)
	MaxRestarts  int           // restarts in a row, none of which stayed up MinUptime, before giving up (5 if zero; -1: none)

	ShutdownTimeout time.Duration // on a stop, how long it may take to exit before SIGKILL (10s if zero)
	// ReopenSignal, if not 0, is passed on to the program once the supervisor has reopened
	// its own log (SIGUSR1: reopen): the program's own signal to reopen its log files.
	ReopenSignal syscall.Signal
	// StopSignal is what asks the program to stop (SIGTERM if zero): sent instead of the
	// SIGTERM that stops the supervisor (stop, restart, systemd, docker stop), and to a
	// copy the supervisor stops itself (an upgrade's old copy, a new one that failed).
	// nginx's graceful stop is SIGQUIT. A stop by SIGINT or SIGQUIT passes that signal on
	// as it came; the wait and the SIGKILL after ShutdownTimeout are the same whatever it is.
	StopSignal syscall.Signal
	// ReloadSignal is what a reload (SIGHUP to the supervisor) passes on to the program,
	// its own signal to reload its configuration (SIGHUP if zero; lighttpd's is SIGUSR1).
	ReloadSignal syscall.Signal
	ChildPIDFile string // if set, where its pid is written, for tools that want it
	NotifyDir    string // notify: where its NOTIFY_SOCKET is made (a directory of the daemon's)
	// OwnGroup says the supervisor's process group is the instance's alone (a detached
	// daemon): what is left in it is killed at the end. In the foreground the group is the
	// shell's job, shared with the rest of a pipeline, and only the supervisor's own
	// children (and the groups they lead) are.
	OwnGroup bool
}

func (c Config) withDefaults() Config {
	if c.ReadyGrace <= 0 {
		c.ReadyGrace = 200 * time.Millisecond
	}
	if c.ReadyInterval <= 0 {
		c.ReadyInterval = 100 * time.Millisecond
	}
	if c.ReadyTimeout <= 0 {
		c.ReadyTimeout = 10 * time.Second
	}
	if c.RestartDelay <= 0 {
		c.RestartDelay = 100 * time.Millisecond
	}
	if c.MinUptime <= 0 {
		c.MinUptime = 10 * time.Second
	}
	if c.MaxRestarts == 0 {
		c.MaxRestarts = 5
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = 10 * time.Second
	}
	if c.DrainTimeout <= 0 {
		c.DrainTimeout = c.ShutdownTimeout
	}
	if c.StopSignal == 0 {
		c.StopSignal = syscall.SIGTERM
	}
	if c.ReloadSignal == 0 {
		c.ReloadSignal = syscall.SIGHUP
	}
	return c
}

// maxRestartDelay caps the back-off between restarts.
const maxRestartDelay = 30 * time.Second

// Policy says when a program that ended on its own is started again. A stop never
// causes a restart.
type Policy string

// The restart policies.
const (
	RestartNo        Policy = "no"         // never (the zero value means this too)
	RestartOnFailure Policy = "on-failure" // after a non-zero exit, or death by a signal
	RestartAlways    Policy = "always"     // after any end
)

// Readiness is how the supervisor tells that the program is ready: Kind is exec, notify,
// tcp, http, cmd or pidfile, and Target is what tcp (HOST:PORT), http (the URL) or cmd (a
// shell command) try, or for pidfile, the absolute path of the pidfile a program that
// daemonizes itself writes (its first process exits 0 and the daemon it forked, named
// there, is then the program; Linux only).
type Readiness struct {
	Kind   string
	Target string
}

// ErrBadReadiness is wrapped by every error of ParseReadiness.
var ErrBadReadiness = errors.New("invalid readiness")

// ParseReadiness reads --ready: exec, notify, tcp:HOST:PORT, http:URL, cmd:COMMAND or
// pidfile:PATH. A port to probe (tcp's, or the URL's) must be 1 to 65535 or a service
// name, as a socket's (see ParseSocket) but for 0, which names no port to connect to.
func ParseReadiness(s string) (Readiness, error) {
	kind, target, colon := strings.Cut(s, ":")
	r := Readiness{Kind: kind, Target: target}
	switch kind {
	case "exec", "notify":
		if colon {
			return r, fmt.Errorf("%w %q: %s takes nothing after it: give --ready %s", ErrBadReadiness, s, kind, kind)
		}
	case "tcp":
		_, port, err := net.SplitHostPort(target)
		if err != nil {
			return r, fmt.Errorf("%w %q: want tcp:HOST:PORT: %v", ErrBadReadiness, s, err)
		}
		if err := checkPort(port, false); err != nil { // 0 is no port to connect to
			return r, fmt.Errorf("%w %q: %v", ErrBadReadiness, s, err)
		}
	case "http":
		u, err := url.Parse(target)
		if err == nil && u.Scheme == "https" {
			return r, fmt.Errorf("%w %q: https is not checked (daemonkit links no TLS); use cmd:'curl -fsS %s'", ErrBadReadiness, s, target)
		}
		if err != nil || u.Scheme != "http" || u.Host == "" {
			return r, fmt.Errorf("%w %q: want http:URL, such as http:http://127.0.0.1:8000/healthz", ErrBadReadiness, s)
		}
		if port := u.Port(); port != "" || strings.HasSuffix(u.Host, ":") {
			if err := checkPort(port, false); err != nil {
				return r, fmt.Errorf("%w %q: %v", ErrBadReadiness, s, err)
			}
		}
	case "cmd":
		if strings.TrimSpace(target) == "" {
			return r, fmt.Errorf("%w %q: want cmd:COMMAND, such as cmd:pg_isready", ErrBadReadiness, s)
		}
	case "pidfile":
		if !filepath.IsAbs(target) {
			return r, fmt.Errorf("%w %q: want pidfile:/ABSOLUTE/PATH, the pidfile the program writes once it has daemonized itself", ErrBadReadiness, s)
		}
		r.Target = filepath.Clean(target)
	default:
		return r, fmt.Errorf("%w %q: want exec, notify, tcp:HOST:PORT, http:URL, cmd:COMMAND or pidfile:PATH", ErrBadReadiness, s)
	}
	return r, nil
}

// String is what ParseReadiness reads back.
func (r Readiness) String() string {
	if r.Kind == "" {
		return "exec"
	}
	if r.Target == "" {
		return r.Kind
	}
	return r.Kind + ":" + r.Target
}
