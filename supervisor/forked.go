package supervisor

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/internal/chans"
	"github.com/daemonkit/daemonkit/internal/filekind"
	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/daemonkit/daemonkit/pidfile"
	"github.com/daemonkit/daemonkit/server"
)

// forkedPoll is how often --ready pidfile:PATH reads PATH, once the program's first
// process has exited 0; a test may lengthen it, so that only its deadline ends a wait.
var forkedPoll = 10 * time.Millisecond

// testHookBeforePollSelect, when set by a test, runs in awaitForked's and awaitMove's
// polls before each wait for the next look or the deadline.
var testHookBeforePollSelect func()

// removedMoveWait bounds how long a daemon that exited 0 and removed its pidfile, leaving
// processes running, has to name its new process there (sshd re-executing at SIGHUP does
// it within moments): long enough for a loaded machine, short enough that a program that
// ended so is not shown running for long.
const removedMoveWait = 2 * time.Second

// awaitForked waits, for --ready pidfile:PATH, until the program has daemonized itself, as
// systemd's Type=forking with PIDFile= does: its first process has exited 0, and PATH names
// a live child of this supervisor (the daemon it forked, an orphan that landed here, the
// supervisor being a subreaper). That process is then the program: p takes its pid and its
// end. A pid in PATH that is not such a child (a stale file naming an unrelated process,
// the supervisor itself) is never adopted, so never signalled. It fails at once when the
// first process fails, or exits 0 leaving nothing running.
func (r *run) awaitForked(p *program, timeout <-chan time.Time) error {
	path := r.s.cfg.Ready.Target
	done := r.reaper.expect() // from before the first process can exit and its child be orphaned
	defer done()
	var ws syscall.WaitStatus
	late := false // the timeout passed: one look at the pidfile is left
	select {
	case ws = <-p.exited:
	case <-timeout:
		// Its first process may have exited as the timeout passed, both found by a
		// supervisor late to look (a loaded machine): select picks either at random, and
		// one that did would be said not to have; its daemon may be in the pidfile already.
		var exited bool
		if ws, exited = chans.Came(p.exited); !exited {
			return &forkedNotReady{"its first process did not exit"}
		}
		late = true
	case <-r.ctx.Done():
		return errStoppedEarly
	}
	if !ws.Exited() || ws.ExitStatus() != 0 {
		p.exited = closedStatus(ws)
		return r.ended(ws)
	}
	r.log.Info("the program's first process exited 0; waiting for its daemon in the pidfile", "pid", p.pid, "pidfile", path)
	p.exited = closedStatus(0) // until a daemon is adopted, what a failure waits for is over
	tick := time.NewTicker(forkedPoll)
	defer tick.Stop()
	said := ""
	for {
		pid, why := readForeignPID(path)
		if pid > 0 {
			if exited, ok := r.adoptable(pid); ok {
				r.log.Info("the program daemonized itself", "first_pid", p.pid, "pid", pid)
				r.adopt(p, pid, exited)
				return nil
			}
			why = fmt.Sprintf("%s names pid %d, which is not a process this program started", path, pid)
		}
		if why != said {
			r.log.Info("no daemon to adopt yet", "why", why)
			said = why
		}
		if proc.Childless(r.s.currentWitness().pids()...) {
			return fmt.Errorf("the program's first process exited 0 and left no process running (%s)", why)
		}
		if late {
			return &forkedNotReady{why}
		}
		if testHookBeforePollSelect != nil {
			testHookBeforePollSelect()
		}
		select {
		case <-tick.C:
		case <-timeout:
			// PATH may have been written since the last look, within the last poll (or as
			// the timeout passed, both found by a supervisor late to look): one more look.
			late = true
		case <-r.ctx.Done():
			return errStoppedEarly
		}
	}
}

// adoptable says whether pid is a child of this process (alive, or ended since the
// adoption opened), and returns the channel that delivers its status if so.
func (r *run) adoptable(pid int) (<-chan syscall.WaitStatus, bool) {
	exited := r.reaper.watch(pid)
	if st, err := proc.ReadStat(pid); err == nil && st.PPID == os.Getpid() {
		return exited, true // ours until it is reaped, by this process's reaper
	}
	r.reaper.unwatch(pid)
	return exited, len(exited) > 0 // reaped meanwhile: it was ours, and has ended
}

// adopt makes pid, the daemon the program forked, the program's copy p.
func (r *run) adopt(p *program, pid int, exited <-chan syscall.WaitStatus) {
	delete(r.copies, p.pid)
	p.pid, p.exited = pid, exited
	r.copies[pid] = p
}

// followMove is asked, for --ready pidfile:PATH, when the adopted daemon p has exited on
// its own with status ws: it reads PATH again, as systemd's Type=forking does when its
// main pid exits, for a daemon may move to a new process and name it there before the old
// one exits (nginx's binary upgrade: USR2 starts a new master, QUIT ends the old one), or,
// when p exited 0 leaving processes running, after it exited (awaitMove: sshd at SIGHUP).
// If PATH names another live child of this supervisor (the new process, reparented here
// when the old one exited), that process is adopted as p, made the program's main
// process, and written to the record and ChildPIDFile, and followMove reports true: p
// runs on. Otherwise, or once a stop is asked, p has ended (false). A pid in PATH that is
// not such a child is never adopted, so never signalled.
func (r *run) followMove(p *program, ws syscall.WaitStatus) bool {
	if r.s.cfg.Ready.Kind != "pidfile" || r.ctx.Err() != nil {
		return false
	}
	path := r.s.cfg.Ready.Target
	pid, _ := readForeignPID(path) // none (removed by a daemon that ended): p has ended
	if (pid <= 0 || pid == p.pid) && ws.Exited() && ws.ExitStatus() == 0 {
		// A daemon that moves so writes its new process there once it runs: while PATH
		// still names the process that exited, up to ReadyTimeout; once it was removed,
		// as sshd of OpenSSH 9.2 removes it before it re-executes, only briefly
		// (removedMoveWait): a daemon that removed it as it ended has ended.
		within := r.s.cfg.ReadyTimeout
		if pid <= 0 {
			within = min(within, removedMoveWait)
		}
		pid = r.awaitMove(p, path, within)
	}
	if pid <= 0 || pid == p.pid {
		return false
	}
	exited, ok := r.adoptable(pid)
	if !ok {
		r.log.Warn("the program's daemon exited; its pidfile names another process, which is not a process this program started: not adopted",
			"pid", p.pid, "pidfile", path, "names", pid)
		return false
	}
	r.log.Info("the program's daemon moved: its pidfile names a new process, adopted", "old_pid", p.pid, "pid", pid, "pidfile", path)
	r.adopt(p, pid, exited)
	main := r.makeMain(p)
	server.UpdateRecord(r.ctx, func(rec *instance.Record) { rec.SetChild(main) })
	r.publishCopies()
	return true
}

// awaitMove waits, once the adopted daemon p has exited 0 while PATH names no other
// process, for PATH to name a new one, as long as a process of the program still runs (the
// new daemon, reparented to this supervisor), for up to within, and not past a stop.
// A daemon that re-executes itself and daemonizes again moves so: sshd at SIGHUP (reload)
// execs itself, forks, and its old process exits 0 before the new one, once it listens,
// writes PATH. It returns the pid PATH names then, or 0 if it named no new one in time or
// nothing of the program runs any more (p has ended).
func (r *run) awaitMove(p *program, path string, within time.Duration) int {
	if proc.Childless(r.s.currentWitness().pids()...) {
		return 0
	}
	r.log.Info("the program's daemon exited 0 and left processes running; waiting for its pidfile to name its new daemon",
		"pid", p.pid, "pidfile", path, "within", within)
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	tick := time.NewTicker(forkedPoll)
	defer tick.Stop()
	late := false // the time is up: one look at PATH is left
	for {
		if testHookBeforePollSelect != nil {
			testHookBeforePollSelect()
		}
		select {
		case <-tick.C:
		case <-deadline.C:
			// PATH may have been written since the last look, within the last poll (or as
			// the time passed, both found by a supervisor late to look): one more look.
			late = true
		case <-r.ctx.Done():
			return 0
		}
		if pid, _ := readForeignPID(path); pid > 0 && pid != p.pid {
			return pid
		}
		if late {
			r.log.Warn("the program's pidfile named no new daemon in time: the program has ended", "pidfile", path, "after", within)
			return 0
		}
		if proc.Childless(r.s.currentWitness().pids()...) {
			return 0
		}
	}
}

// readForeignPID reads a pidfile that the program writes: the pid in it, or 0 and why not.
// It reads only a regular file, and never through a symlink at path: a program run as
// another user could otherwise have the supervisor, as root, open a device (whose open
// alone may act: a watchdog) or read a file of root's, whose start the error would quote,
// as systemd's PIDFile= refuses since CVE-2018-16888. It opens without blocking, so that a
// FIFO put there meanwhile cannot hang the supervisor.
func readForeignPID(path string) (int, string) {
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		return 0, (&os.PathError{Op: "lstat", Path: path, Err: err}).Error()
	}
	if mode := uint32(st.Mode); mode&unix.S_IFMT != unix.S_IFREG { // uint16 on the BSDs
		return 0, fmt.Sprintf("%s is not a regular file: it is %s, refused", path, filekind.Of(mode))
	}
	if pidfile.HeldHere(&st) {
		return 0, errOwnPIDFile(path).Error()
	}
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return 0, (&os.PathError{Op: "open", Path: path, Err: err}).Error()
	}
	if pidfile.KeepIfHeld(fd) { // put there since the look: kept open, not closed
		return 0, errOwnPIDFile(path).Error()
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return 0, path + " is not a regular file"
	}
	b, err := io.ReadAll(io.LimitReader(f, 64))
	if err != nil {
		return 0, err.Error()
	}
	pid, err := parseForeignPID(b)
	if err != nil {
		return 0, fmt.Sprintf("%s: %v", path, err)
	}
	return pid, ""
}

// parseForeignPID reads the pid a program wrote in its own pidfile as systemd's PIDFile=
// and start-stop-daemon take it: the first line, blanks around it left out ("1234 \n",
// " 1234\n", "1234\n\n" are all 1234), then exactly a pid, as pidfile.ParsePID has it.
func parseForeignPID(b []byte) (int, error) {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	return pidfile.ParsePID(bytes.TrimSpace(line))
}

// forkedNotReady: --ready pidfile: found no daemon to adopt in time, and why.
type forkedNotReady struct{ why string }

func (e *forkedNotReady) Error() string { return "not ready in time: " + e.why }

// Is makes a *forkedNotReady errNotReadyInTime.
func (e *forkedNotReady) Is(target error) bool { return target == errNotReadyInTime }
