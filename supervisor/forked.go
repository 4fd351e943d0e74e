package supervisor

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/daemonkit/daemonkit/internal/filekind"
	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/daemonkit/daemonkit/pidfile"
)

// forkedPoll is how often --ready pidfile:PATH reads PATH, once the program's first
// process has exited 0.
const forkedPoll = 10 * time.Millisecond

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
	select {
	case ws := <-p.exited:
		if !ws.Exited() || ws.ExitStatus() != 0 {
			p.exited = closedStatus(ws)
			return ended(ws)
		}
	case <-timeout:
		return &forkedNotReady{"its first process did not exit"}
	case <-r.ctx.Done():
		return errStoppedEarly
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
		select {
		case <-tick.C:
		case <-timeout:
			return &forkedNotReady{why}
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
	r.log.Info("the program daemonized itself", "first_pid", p.pid, "pid", pid)
	delete(r.copies, p.pid)
	p.pid, p.exited = pid, exited
	r.copies[pid] = p
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
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return 0, err.Error()
	}
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
