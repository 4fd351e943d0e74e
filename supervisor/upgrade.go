package supervisor

import (
	"fmt"
	"syscall"
	"time"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/logfile"
	"github.com/daemonkit/daemonkit/server"
)

// maxDraining bounds how many old copies may still drain when an upgrade starts a new one.
const maxDraining = 3

// upgradeRequest asks for a new copy on the same sockets; the outcome comes back on reply.
type upgradeRequest struct {
	Command []string // the new copy's command line; nil: the current one
	reply   chan UpgradeResult
}

// UpgradeResult is what an upgrade did: the copy that serves, and how long each step
// took; or why it failed (the old copy serves on), with the new copy's last log lines.
type UpgradeResult struct {
	OK         bool          `json:"ok"`
	PID        int           `json:"pid,omitempty"`        // the copy that serves now
	Generation int           `json:"generation,omitempty"` // its generation
	OldPID     int           `json:"old_pid,omitempty"`    // the copy that drained
	Ready      time.Duration `json:"ready,omitempty"`      // from the new copy's start to its readiness
	Drain      time.Duration `json:"drain,omitempty"`      // from the old copy's stop signal to its end
	Killed     bool          `json:"killed,omitempty"`     // the old copy needed SIGKILL after DrainTimeout
	Error      string        `json:"error,omitempty"`
	Busy       bool          `json:"busy,omitempty"` // another upgrade runs
	LogTail    []string      `json:"log_tail,omitempty"`
}

// doUpgrade starts a new copy while p serves, and makes it the main copy once it is
// ready; then it stops p and lets it drain, off the loop, and replies when p is gone. If
// the new copy fails, it is killed with its process group, p is not touched, and the
// reply says why.
func (r *run) doUpgrade(p *program, req upgradeRequest) *program {
	fail := func(err error, tailFrom int64) *program {
		r.log.Error("upgrade failed; the old copy serves on", "error", err, "old_pid", p.pid)
		res := UpgradeResult{Error: err.Error(), PID: p.pid, Generation: p.gen}
		if tailFrom >= 0 {
			res.LogTail = logfile.Tail(r.logPath(), tailFrom, 10)
		}
		req.reply <- res
		return nil
	}
	if len(r.sockets) == 0 {
		return fail(fmt.Errorf("an upgrade needs sockets held by the supervisor: start it with --socket"), -1)
	}
	if n := len(r.copies) - 1; n >= maxDraining {
		return fail(fmt.Errorf("%d old copies are still draining (at most %d): try again when they are gone", n, maxDraining), -1)
	}
	if req.Command != nil {
		r.command = req.Command
	}
	r.log.Info("upgrading: starting a new copy", "old_pid", p.pid, "command", r.command)
	logStart := logfile.Size(r.logPath())
	began := time.Now()
	np, err := r.startCopy()
	if err != nil {
		r.command = p.command
		return fail(err, logStart)
	}
	np.command = r.command
	readyAfter := time.Since(began)
	r.s.setMain(np.pid)
	r.writeChildPIDFile(np.pid)
	server.UpdateRecord(r.ctx, func(rec *instance.Record) { rec.Command, rec.ChildPID = r.command, np.pid })
	if r.s.cfg.OnUpgrade != nil {
		r.s.cfg.OnUpgrade(r.ctx, r.command)
	}
	p.state = "draining"
	r.publishCopies()
	r.log.Info("the new copy serves; draining the old one", "pid", np.pid, "generation", np.gen,
		"old_pid", p.pid, "drain_timeout", r.s.cfg.DrainTimeout.String())
	go r.drain(p, func(d time.Duration, killed bool) {
		req.reply <- UpgradeResult{OK: true, PID: np.pid, Generation: np.gen, OldPID: p.pid,
			Ready: readyAfter, Drain: d, Killed: killed}
	})
	return np
}

// drain sends old its stop signal, waits up to DrainTimeout for it to end, then SIGKILLs
// its process group; it tells done how long that took, and hands old back to the loop.
func (r *run) drain(old *program, done func(time.Duration, bool)) {
	began := time.Now()
	_ = syscall.Kill(old.pid, syscall.SIGTERM)
	_ = syscall.Kill(old.pid, syscall.SIGCONT)
	killed := false
	var ws syscall.WaitStatus
	select {
	case ws = <-old.exited:
	case <-time.After(r.s.cfg.DrainTimeout):
		killed = true
		_ = syscall.Kill(-old.pid, syscall.SIGKILL) // its own group: nothing of the new copy
		ws = <-old.exited
	}
	_ = syscall.Kill(-old.pid, syscall.SIGKILL) // what it left in its group
	r.log.Info("the old copy is gone", "pid", old.pid, "generation", old.gen, "status", describe(ws),
		"drain", time.Since(began).Round(time.Millisecond).String(), "killed", killed)
	old.exited = closedStatus(ws)
	done(time.Since(began), killed)
	select {
	case r.drained <- old:
	case <-r.ctx.Done():
	}
}

// logPath is the daemon's log, for quoting a failed copy's last lines.
func (r *run) logPath() string {
	if p, err := readlinkFD(2); err == nil {
		return p
	}
	return ""
}
