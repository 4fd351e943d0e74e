package cli

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/daemonkit/daemonkit/pidfile"
	"github.com/daemonkit/daemonkit/server"
)

// InstanceInfo says which instance a Serve function serves.
type InstanceInfo struct {
	Name            string        // the instance name
	Strategy        string        // how it was detached; "" in the foreground
	ShutdownTimeout time.Duration // how long a stop lets work in flight finish (--shutdown-timeout)
}

type instanceKey struct{}

// Instance returns the instance a Serve function's ctx belongs to. Outside a serve context
// (a Serve function called by a test with context.Background, say) it is the zero
// InstanceInfo, unless the test gave one with WithInstance: a ShutdownTimeout of 0 then
// means drain for no time at all, so a caller that drains by it should give it a fallback.
func Instance(ctx context.Context) InstanceInfo {
	info, _ := ctx.Value(instanceKey{}).(InstanceInfo)
	return info
}

// WithInstance returns a copy of ctx in which Instance tells info, as it does in the
// context a real start gives the Serve function and the Reload hook. It is for tests that
// call those functions themselves: with a ShutdownTimeout, a serve function's drain path
// runs as it would in a daemon. It adds nothing else: ctx's cancellation (the stop), its
// deadline and its other values (a logger for hclog.FromContext) are what the test made.
func WithInstance(ctx context.Context, info InstanceInfo) context.Context {
	return context.WithValue(ctx, instanceKey{}, info)
}

// workload makes the program's Serve and Reload the server's Workload for one instance,
// whose start lock (instance.Paths.StartLock) is startLock: "" where nothing is to be
// swept (see Sweep).
func (c Config) workload(info InstanceInfo, startLock string) server.Workload {
	w := serveWorkload{serve: c.Serve, info: info, startLock: startLock}
	if c.Reload != nil {
		return reloadWorkload{w, c.Reload}
	}
	return w
}

type serveWorkload struct {
	serve     ServeFunc
	info      InstanceInfo
	startLock string
}

func (w serveWorkload) Serve(ctx context.Context, ready server.ReadyFunc) error {
	if w.serve == nil {
		return errors.New("the program has no Serve function (cli.Config.Serve)")
	}
	return w.serve(WithInstance(ctx, w.info), ready)
}

// Sweep kills what the serve function started that still runs once it has returned (or
// the daemon gave up on its drain), so that a stop leaves nothing of the instance, as the
// supervisor of a work child (--socket) sees to: every process but this one that carries
// this run's mark (instance.InvocationEnv), wherever it moved (another session, another
// parent), but those that hold a start lock or a pidfile of the state directory
// (lockHolders), or are an instance's daemon of another (holdsInstanceLock): a restart
// that the serve function ran, of its own instance or another, which holds that
// instance's start lock from before its stop until the new daemon is ready, and must
// outlive this one to start it; a start of another instance in the foreground, which is
// that instance's daemon. It looks for nothing when this process
// never had a child (proc.Forked), so a serve function that starts none stops as fast as
// before; where one did, the look reads every process's environment (about 18 us a
// process), and the descriptors of a marked process only if /proc/locks, read as it is
// looked at, shows it holding a lock. It is server.Sweeper's, called where the daemon (or a foreground start) runs
// the work itself.
func (w serveWorkload) Sweep() []int {
	run := os.Getenv(instance.InvocationEnv)
	if run == "" || w.startLock == "" || !proc.Forked() {
		return nil
	}
	var spared map[int]bool // read once, and only when a marked process is found
	return instance.KillMarked(instance.InvocationEnv+"="+run, func(pid int) bool {
		if spared == nil {
			spared = lockHolders(filepath.Dir(w.startLock))
		}
		if spared[pid] {
			return false
		}
		// A daemon holds its pidfile's lock: one that holds no lock at all now (/proc/locks,
		// read as it is looked at, as a foreground start may take its lock meanwhile) is
		// none, and its descriptors (a worker may have tens of thousands) need no look.
		if holds, ok := proc.HoldsPOSIXLock(pid); ok && !holds {
			return true
		}
		return !instanceLockHeld(pid)
	})
}

// instanceLockHeld is holdsInstanceLock, for Sweep: a test's seam, to count its looks.
var instanceLockHeld = holdsInstanceLock

// holdsInstanceLock reports whether pid is an instance's daemon of another state
// directory: it holds, through a descriptor of its own, the lock of a pidfile (NAME.pid)
// beside a daemonkit record (NAME.json) that names that pidfile and was written for pid
// (its start time). A worker that writes and locks a pidfile of its own, whatever it
// keeps beside it, is no such daemon, and is swept. A start lock of another state
// directory is not looked for: its name alone proves nothing.
func holdsInstanceLock(pid int) bool {
	fdDir := "/proc/" + strconv.Itoa(pid) + "/fd"
	fds, err := os.ReadDir(fdDir)
	if err != nil {
		return false
	}
	for _, fd := range fds {
		target, err := os.Readlink(filepath.Join(fdDir, fd.Name()))
		if err != nil || !filepath.IsAbs(target) {
			continue
		}
		name, role, ok := instance.FileName(filepath.Base(target))
		if !ok || role != "pidfile" {
			continue
		}
		rec, err := instance.ReadRecord(filepath.Join(filepath.Dir(target), name+".json"))
		if err != nil || rec.Name != name || !rec.WrittenFor(pid) {
			continue
		}
		// The record may name it through a symlink (/var/run for /run), which /proc resolves.
		if fi, err := os.Stat(target); err != nil || !sameFile(fi, rec.PIDFile) {
			continue
		}
		if st, err := pidfile.Probe(target); err == nil && st.State == pidfile.Running && st.PID == pid {
			return true
		}
	}
	return false
}

// lockHolders is the set of processes that hold a start lock or a pidfile in the state
// directory dir: daemonkit commands and daemons of its instances.
func lockHolders(dir string) map[int]bool {
	held := map[int]bool{}
	des, err := os.ReadDir(dir)
	if err != nil {
		return held
	}
	for _, de := range des {
		_, role, ok := instance.FileName(de.Name())
		if !ok || de.IsDir() || role != "start lock" && role != "pidfile" {
			continue
		}
		if st, err := pidfile.Probe(filepath.Join(dir, de.Name())); err == nil && st.State == pidfile.Running && st.PID > 0 {
			held[st.PID] = true
		}
	}
	return held
}

type reloadWorkload struct {
	serveWorkload
	reload func(context.Context) error
}

// Reload calls the program's Reload with what Instance(ctx) tells, as Serve has it.
func (w reloadWorkload) Reload(ctx context.Context) error {
	return w.reload(WithInstance(ctx, w.info))
}

// ignoreHUP makes this process ignore SIGHUP, as a daemon of a strategy whose traits say so.
func ignoreHUP() { signal.Ignore(syscall.SIGHUP) }
