package supervisor

import (
	"context"
	"errors"
	"os"
	"syscall"
	"time"

	"github.com/daemonkit/daemonkit/internal/proc"
)

// openProcess is proc.Open and descendsFrom proc.DescendsFrom: how a MAINPID= is opened
// and checked to run below this supervisor. A test replaces them to stand for the kernel
// giving a pid that ended to another process.
var (
	openProcess  = proc.Open
	descendsFrom = proc.DescendsFrom
)

// makeMain makes the ready copy p the one that serves: its main process, the one it named
// with MAINPID= while it started or else its first, is what stop, reload and forwarded
// signals go to, and the pid written to ChildPIDFile. It returns that pid, for the record.
func (r *run) makeMain(p *program) int {
	r.s.mu.Lock()
	main := p.pid
	if p.main != nil {
		main = p.main.PID()
	}
	r.s.main, r.s.exited, r.s.named = main, p.exited, p.main
	r.s.mu.Unlock()
	r.writeChildPIDFile(main)
	return main
}

// openMain opens the process pid that a copy names its main one (MAINPID=), and checks,
// once it is open, that it runs below this supervisor, and is not this supervisor itself:
// only a process of the program's own (an orphan it adopted included) may be signalled in
// its stead, as systemd refuses a MAINPID outside the service, or its own. The handle is
// that process's for good: once it ends, its pid may go to another process below the
// supervisor (a worker, a check's shell, a restart's child), which a pid checked again at
// each signal would take for it. It returns why not if it is not taken.
func openMain(pid int) (*proc.Process, string) {
	if pid == os.Getpid() {
		// As systemd refuses its own pid: a reload would send this process its own HUP,
		// which it takes for a reload, for ever, and a stop would wait for itself.
		return nil, "it names the supervisor itself"
	}
	h, err := openProcess(pid)
	if errors.Is(err, proc.ErrGone) {
		return nil, "it names no running process"
	}
	if err != nil {
		return nil, err.Error()
	}
	if !descendsFrom(pid, os.Getpid()) {
		_ = h.Close()
		return nil, "it names a process that does not run below the supervisor"
	}
	return h, ""
}

// signalNamed sends sig to h, the program's named main process (MAINPID=), and reports
// whether it was sent. The handle is the very process it named (a pidfd): once that has
// ended, nothing is sent. Where the kernel gives no pidfd, the handle is the pid alone, and
// it is checked again to run below this supervisor first.
func signalNamed(h *proc.Process, sig syscall.Signal) bool {
	return descendsFrom(h.PID(), os.Getpid()) && h.Signal(sig) == nil
}

// nameMain makes h, opened by openMain, the main process of the copy p (MAINPID=), and the
// program's, which signals go to, if p is the copy that serves; a copy that is starting (a
// restart's, an upgrade's) has its named main process made the program's once it is ready
// (makeMain). The handle it named before is closed. It reports whether the program's main
// process moved, and whether h was taken at all: not once a stop has begun, nor for a
// copy that is being stopped, drained or killed (freezeMain), whose signal went to the one
// named before and which waits for that one, nor for one that forget has dropped, whose
// handle nothing would close.
func (r *run) nameMain(p *program, h *proc.Process) (moved, taken bool) {
	s := r.s
	start := startTimeOf(h.PID())
	s.mu.Lock()
	if p.frozen || r.ctx.Err() != nil {
		s.mu.Unlock()
		_ = h.Close()
		return false, false
	}
	serves := s.main != 0 && (p.main != nil && s.named == p.main || p.main == nil && s.named == nil && s.main == p.pid)
	old, unwatch, release := p.main, p.unwatch, p.release
	p.main = h
	// Its end ends the copy (watchMain); the one named before may end now (nginx's binary
	// upgrade names its new master, then the old one exits).
	p.unwatch, p.release = r.watchMain(p, h, start)
	if serves {
		s.main, s.named = h.PID(), h
	}
	s.mu.Unlock()
	if unwatch != nil {
		unwatch()
	}
	if old != nil {
		_ = old.Close() // a signal under way through it gets os.ErrClosed: it was meant for the one before
	}
	if release != nil {
		release()
	}
	return serves, true
}

// namesMain reports whether the copy p has named pid its main process already, and that
// process still runs: a MAINPID= said again (with each STATUS=, say) needs nothing done. A
// pid it named that has ended since and is named again is another process's now.
func (s *Supervisor) namesMain(p *program, pid int) bool {
	s.mu.Lock()
	h := p.main
	s.mu.Unlock()
	return h != nil && h.PID() == pid && !mainEnded(h)
}

// mainEnded reports whether h, a named main process, is known to have ended (a zombie
// counts), by signal 0, which sends nothing.
func mainEnded(h *proc.Process) bool { return errors.Is(h.Signal(0), proc.ErrGone) }

// dropMain closes the handle of the main process that the copy p named, as p has ended
// (forget): nothing signals that process through p from then on, and no MAINPID= is
// taken for it later.
func (s *Supervisor) dropMain(p *program) {
	s.mu.Lock()
	h, unwatch, release := p.main, p.unwatch, p.release
	p.main, p.frozen, p.unwatch, p.release = nil, true, nil, nil
	s.mu.Unlock()
	if unwatch != nil {
		unwatch()
	}
	if h != nil {
		_ = h.Close()
	}
	if release != nil {
		release()
	}
}

// namedMain is a handle on the program's main process if the program named it
// (MAINPID=), nil if its main process is a copy's first one.
func (s *Supervisor) namedMain() *proc.Process {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.named
}

// freezeMain is a handle on the main process that the copy p named (MAINPID=), nil if
// none, for a stop, drain or kill of p that signals it and waits for it: no MAINPID= is
// taken for p from then on, which would close that handle under it. It stays p's: forget
// closes it. Its end no longer ends the copy (watchMain): what froze it waits for it.
func (s *Supervisor) freezeMain(p *program) *proc.Process {
	s.mu.Lock()
	defer s.mu.Unlock()
	p.frozen = true
	if p.unwatch != nil {
		p.unwatch()
		p.unwatch = nil
	}
	return p.main
}

// askNamedFirst asks the main process the copy p named (MAINPID=), if any, to stop (the
// stop signal, then SIGCONT), and waits for it until deadline, before p's first process is
// asked: a wrapper that passes its stop signal on would give it a second one mid-drain. It
// reports whether it has ended (true if p named none). It stays p's (freezeMain).
func (r *run) askNamedFirst(p *program, deadline time.Time) bool {
	named := r.s.freezeMain(p)
	if named == nil {
		return true
	}
	_ = signalNamed(named, r.s.cfg.StopSignal)
	_ = signalNamed(named, syscall.SIGCONT)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	return named.Wait(ctx) == nil
}
