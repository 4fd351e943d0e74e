package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/coreos/go-systemd/v22/daemon"
	"github.com/hashicorp/go-hclog"
	"golang.org/x/sys/unix"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/internal/childstart"
	"github.com/daemonkit/daemonkit/server"
	"github.com/daemonkit/daemonkit/supervisor"
)

// listenKey is the sd_notify assignment a workload child adds to READY=1 to say where it
// listens; systemd ignores keys it does not know.
const listenKey = "X_DAEMONKIT_LISTEN"

// failKey is the sd_notify assignment a workload child sends, instead of READY=1, to say
// why its start failed (supervisor.Config.FailKey).
const failKey = "X_DAEMONKIT_FAILED"

// failHeardEnv, set in a workload child's environment, says that its supervisor hears
// failKey. A supervisor of an older release, which an upgrade to a newer binary runs the
// new copy under, does not set it, and the child then says why its start failed on its
// standard error, as children of that release did. The child removes it from its own
// environment, so that no process of the work's inherits it.
const failHeardEnv = "DAEMONKIT_HEARS_FAILED"

// workload is what the daemon (or a foreground start) runs for req: the program given
// after --, supervised; the program's own work run as a supervised child of this process
// (when it must run as another user, or when this process is PID 1); or the program's own
// work, here. detached says the process group is the instance's own.
func (req *request) workload(cfg Config, out io.Writer, detached bool) (server.Workload, error) {
	paths := instance.Paths{Name: req.Name, PIDFile: req.PIDFile, Log: req.Log, Record: req.Record}
	cred, err := req.credential()
	if err != nil {
		return nil, err
	}
	if sv := req.Supervise; sv != nil {
		sc := sv.supervisorConfig(sv.Command, paths, req.ShutdownTimeout, detached)
		sc.ReadyTimeout = req.ReadyTimeout // the first start's, and every restart's
		if req.IgnoreHUP && sc.ReopenSignal == sc.ReloadSignal {
			// Under nohup one SIGUSR1 is both a reopen and a reload: the reload's signal,
			// passed on, serves both, where passing both on sent the program it twice.
			sc.ReopenSignal = 0
		}
		sc.Credential = cred
		sc.JSONLines = req.LogFormat == "json"
		if err := req.openFiles(&sc, false); err != nil {
			return nil, err
		}
		sc.OnUpgrade = func(ctx context.Context, command []string) {
			// restart starts what serves now: the request in the record follows the upgrade,
			// with what the record kept that the daemon was not sent (the environment the work
			// inherits, which restart and a reload check run with)
			sv.Command = command
			server.UpdateRecord(ctx, func(rec *instance.Record) {
				updated, was := *req, request{}
				if json.Unmarshal(rec.Request, &was) == nil {
					updated.Inherited = was.Inherited
				}
				if raw, err := json.Marshal(&updated); err == nil {
					rec.Request = raw
				}
			})
		}
		return supervisor.New(sc, out), nil
	}
	if cred == nil && os.Getpid() != 1 && len(req.Socket) == 0 {
		if err := req.openFiles(nil, true); err != nil {
			return nil, err
		}
		return cfg.workload(req.instanceInfo(), paths.StartLock()), nil
	}
	// As tini would: the work runs as a child, and this process reaps, forwards signals,
	// holds the lock and the log, and ends with the child's status.
	raw, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	sf := SuperviseFlags{Ready: "notify", Socket: req.Socket, DrainTimeout: req.DrainTimeout}
	// The binary by its absolute path, as status and list show the command: a start typed
	// as bin/daemonkit would show "bin/daemonkit _workload NAME", which names nothing from
	// another directory, until a restart typed elsewhere showed the absolute path.
	sc := sf.supervisorConfig([]string{cmp.Or(req.Exe, os.Args[0]), workloadCommand, req.Name}, paths, req.ShutdownTimeout, detached)
	sc.Env = append(withRequest(os.Environ(), string(raw)), failHeardEnv+"=1")
	sc.Path = req.Exe // the binary on disk now: an upgrade runs a replaced binary
	sc.Credential = cred
	sc.ListenKey, sc.FailKey = listenKey, failKey
	if err := req.openFiles(&sc, false); err != nil {
		return nil, err
	}
	return supervisor.New(sc, out), nil
}

// runWorkload is the life of a workload child: the program's own work, in the foreground
// of its supervisor, which it tells READY=1 (and where it listens) over sd_notify; SIGTERM
// and SIGINT stop it, SIGHUP reloads it; its output goes to the supervisor, and so to the
// log. The child's own lines (its logger's, a panic of the serve function, its last word)
// go through a descriptor of its own, as a daemon's do (logfile.HoldDescriptors): a serve
// function that closes os.Stderr, and whose next file takes descriptor 2, would otherwise
// lose them, or write them into that file, and status would say only "exited with status
// 1" of a panic.
func runWorkload(cfg Config, req *request) error {
	out := holdStderr()
	told := cfg.withDefaults()
	told.Stderr = out
	return withCode(told.exitIn(req.LogFormat, workloadLife(cfg, req, out)), nil)
}

// holdStderr is dupStderr's descriptor as an *os.File; os.Stderr where it cannot be made.
func holdStderr() *os.File {
	fd, err := dupStderr()
	if err != nil {
		return os.Stderr
	}
	return os.NewFile(uintptr(fd), "stderr")
}

// crashToHeld makes held, the child's own descriptor of what 2 named as it began (its
// supervisor's pipe, which puts it in the log), where Go's runtime writes a crash's trace
// too (a panic in a goroutine of the work's, which only the runtime catches), when 2 names
// something else now: the serve function closed os.Stderr and opened a file of its own,
// which the trace would go to alone. While 2 is still that pipe, none is set, as the
// trace would be in the log twice. It runs once the work is ready.
func crashToHeld(held *os.File) {
	if held != os.Stderr {
		crashTo(int(held.Fd()))
	}
}

// crashTo is crashToHeld of a descriptor, held, that this process keeps open.
func crashTo(held int) {
	var now, was unix.Stat_t
	if unix.Fstat(held, &was) != nil {
		return
	}
	if unix.Fstat(2, &now) == nil && now.Dev == was.Dev && now.Ino == was.Ino {
		return
	}
	fd, err := unix.FcntlInt(uintptr(held), unix.F_DUPFD_CLOEXEC, 3)
	if err != nil {
		return
	}
	f := os.NewFile(uintptr(fd), "stderr")
	defer f.Close() // SetCrashOutput keeps a duplicate of its own
	_ = debug.SetCrashOutput(f, debug.CrashOptions{})
}

// dupStderr is a descriptor of this process's own, above 2 and close-on-exec, that names
// what descriptor 2 names now: what the work does with os.Stderr (closing it, and opening
// a file that takes 2) never changes it.
func dupStderr() (int, error) {
	return unix.FcntlInt(2, unix.F_DUPFD_CLOEXEC, 3)
}

// workloadLife is runWorkload's work; out is where the child's own lines go.
func workloadLife(cfg Config, req *request, out *os.File) error {
	if req.User != "" {
		// The kernel set uid, gid and groups at exec; prove root cannot be had back.
		if err := unix.Setuid(0); err == nil {
			return errors.New("the workload could set its uid back to root: refusing to run")
		}
	}
	if err := req.settle(); err != nil {
		return err
	}
	if len(req.Flags) > 0 && cfg.Flags != nil {
		if err := restoreProgramFlags(cfg, req.Flags, req.Cwd); err != nil {
			return fmt.Errorf("%s: restore the program's flags: %w", workloadCommand, err)
		}
	}
	heard := os.Getenv(failHeardEnv) != ""
	os.Unsetenv(failHeardEnv)
	log := newLogger(cfg.Name, req.LogLevel, req.LogFormat, out)
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	ctx = hclog.WithContext(ctx, log)         // for Serve and Reload, as in a daemon that runs the work itself
	w := cfg.workload(req.instanceInfo(), "") // its supervisor kills what it leaves
	stopped := make(chan struct{})            // closed by the first stop signal
	stop := sync.OnceFunc(func() { close(stopped) })
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	defer signal.Stop(sigs)
	// The reload hook runs beside the signal loop, one at a time (one asked for meanwhile
	// follows it), as in a daemon that runs the work itself: a stop is not held up by it,
	// and cancels its context.
	reloads := make(chan struct{}, 1)
	var reloading sync.Mutex // held while the hook runs
	if rl, ok := w.(server.Reloader); ok {
		go func() {
			for range reloads {
				if ctx.Err() != nil {
					continue // asked for before the stop: moot now
				}
				reloading.Lock()
				server.ReloadAndLog(ctx, log, rl)
				reloading.Unlock()
			}
		}()
		// A hook still running when the work ends has had its context cancelled: it is
		// given a moment to return, as in a daemon that runs the work itself.
		defer func() {
			hookDone := make(chan struct{})
			go func() { reloading.Lock(); close(hookDone); reloading.Unlock() }()
			select {
			case <-hookDone:
			case <-time.After(server.ReloadGrace):
				log.Warn("the reload hook still runs after the stop: not waiting for it")
			}
		}()
	}
	go func() {
		for sig := range sigs {
			if sig == syscall.SIGHUP {
				select {
				case reloads <- struct{}{}:
				default: // one is waiting already
				}
				continue
			}
			cancel(server.Stopped{Signal: sig})
			stop()
		}
	}()
	failed, err := serveChild(ctx, w, log, func() { crashToHeld(out) })
	if failed {
		return failStart(stopped, heard, err, log)
	}
	return drainCutOff(ctx, err, req.instanceInfo().ShutdownTimeout)
}

// serveChild runs the work w until it returns, and tells the supervisor READY=1 (and
// where it listens) when it says ready. It reports whether the start failed: the work
// returned before it was ready, and no stop came first; err then says why.
func serveChild(ctx context.Context, w server.Workload, log hclog.Logger, then func()) (failed bool, err error) {
	start := &childstart.Start{} // server.ExtendStart and StartStatus reach the supervisor
	ctx = childstart.With(ctx, start)
	var readied bool
	var once sync.Once
	err = server.Recovered(log, "the workload", func() error {
		return w.Serve(ctx, func(addr string) {
			once.Do(func() {
				readied = true
				start.Ready(listenKey + "=" + addr)
				then()
			})
		})
	})
	once.Do(func() {}) // a ready said after the work returned is moot; one said before is seen
	switch {
	case readied || ctx.Err() != nil:
		return false, err
	case err == nil:
		return true, errReturnedUnready
	}
	return true, err
}

// errReturnedUnready: the work returned nil without saying ready.
var errReturnedUnready = errors.New("Serve returned nil before it called ready: it must call ready once it serves, then run until its context is cancelled")

// failWait bounds how long a work child that failed its start waits for its supervisor to
// end it, once it has told it why.
const failWait = 5 * time.Second

// failStart tells the supervisor why the work could not start (failKey), so that start,
// status and the log say it in the work's own words, not how the child exited; then it
// waits for the supervisor to end this process, as it ends any copy that failed its start,
// or for a stop (stopped closed), at most failWait, and exits 1. A reason too long for one
// message is logged whole first (log writes in the log's format). A supervisor that does
// not hear failKey (heard false: an older daemon's, which an upgrade to this binary runs
// under) is not told: failStart returns err, which the child prints and exits 1 with.
func failStart(stopped <-chan struct{}, heard bool, err error, log hclog.Logger) error {
	if !heard {
		return err
	}
	why, whole := notifyValue(err.Error())
	if !whole {
		log.Error("the start failed", "error", err)
	}
	if sent, _ := daemon.SdNotify(false, failKey+"="+why); !sent {
		return err
	}
	select {
	case <-stopped:
	case <-time.After(failWait):
	}
	return withCode(exitFailed, nil)
}

// maxFailText bounds the reason failStart sends, well within a notify datagram's 4096
// bytes.
const maxFailText = 3000

// notifyValue is s as one sd_notify value (childstart.Value), at most maxFailText bytes of
// whole characters, and whether that is all of s but its line breaks.
func notifyValue(s string) (value string, whole bool) {
	s = childstart.Value(s)
	if len(s) <= maxFailText {
		return s, true
	}
	cut := maxFailText
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "...", false
}

// drainCutOff is err, the work's own, said as what it means when a stop (ctx cancelled)
// ended with it past a deadline (the built-in server's "drain http: context deadline
// exceeded"): the work's drain took longer than the shutdown timeout it was given, and it
// cut off what it still served.
func drainCutOff(ctx context.Context, err error, timeout time.Duration) error {
	if err == nil || ctx.Err() == nil || !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("its drain did not end within its --shutdown-timeout %s, so what it still served was cut off (%w): give it a longer --shutdown-timeout if its work needs longer to finish", timeout, err)
}

// instanceInfo is what Instance(ctx) tells the program's work: the shutdown timeout the
// daemon keeps, the default's when a request of an older start says none.
func (req *request) instanceInfo() InstanceInfo {
	timeout := req.ShutdownTimeout
	if timeout <= 0 {
		timeout = server.DefaultShutdownTimeout
	}
	return InstanceInfo{Name: req.Name, Strategy: req.Strategy, ShutdownTimeout: timeout}
}
