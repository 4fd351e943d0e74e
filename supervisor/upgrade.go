package supervisor

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/daemonkit/daemonkit/server"
)

// maxDraining bounds how many old copies may still drain when an upgrade starts a new one.
const maxDraining = 3

// defaultUpgradeReadyTimeout bounds an upgrade's wait for the new copy's readiness when
// the request names no bound: the same as a start's default --ready-timeout.
const defaultUpgradeReadyTimeout = 10 * time.Second

// tailLines is how many of the new copy's last output lines a failed upgrade quotes.
const tailLines = 10

// errNotReadyInTime: the new copy of an upgrade was not ready within the upgrade's bound.
var errNotReadyInTime = errors.New("the new copy was not ready in time")

// upgradeRequest asks for a new copy on the same sockets; the outcome comes back on reply.
type upgradeRequest struct {
	Command      []string      // the new copy's command line; nil: the current one
	ReadyTimeout time.Duration // how long the new copy may take to get ready; 0: defaultUpgradeReadyTimeout
	Within       time.Duration // the whole upgrade's bound (the drain is cut once it passes); 0: none
	reply        chan UpgradeResult
}

// UpgradeResult is what an upgrade did: the copy that serves, and how long each step
// took; or why it failed (the old copy serves on), with the new copy's last lines of
// output.
type UpgradeResult struct {
	OK         bool          `json:"ok"`
	PID        int           `json:"pid,omitempty"`        // the copy that serves now
	Generation int           `json:"generation,omitempty"` // its generation
	OldPID     int           `json:"old_pid,omitempty"`    // the copy that drained
	Ready      time.Duration `json:"ready,omitempty"`      // from the new copy's start to its readiness
	Drain      time.Duration `json:"drain,omitempty"`      // from the old copy's stop signal to its end
	Killed     bool          `json:"killed,omitempty"`     // the old copy was killed (SIGKILL) before it had drained
	OldExit    string        `json:"old_exit,omitempty"`   // the old copy, not killed, ended other than with status 0: how ("exited with status 1")
	Ended      bool          `json:"ended,omitempty"`      // the new copy ended while the old one drained (a restart, by policy, may bring the program back)
	OldEnded   string        `json:"old_ended,omitempty"`  // the old copy ended on its own while the new one started: how ("killed by signal 9 (SIGKILL)")
	Error      string        `json:"error,omitempty"`
	Busy       bool          `json:"busy,omitempty"`     // another upgrade runs
	Stopping   bool          `json:"stopping,omitempty"` // the instance is stopping: no copy serves on
	LogTail    []string      `json:"log_tail,omitempty"` // the failed new copy's last lines of output
}

// doUpgrade starts a new copy while p serves, and makes it the main copy once it is
// ready; then it stops p and lets it drain, off the loop, and replies when p is gone. If
// the new copy fails (it ends, reports an error, or is not ready within the request's
// bound), it is killed with its process group, p is not touched, and the reply says why,
// quoting the new copy's last lines.
func (r *run) doUpgrade(p *program, req upgradeRequest) *program {
	var out *copyOutput
	oldEnded := "" // how p ended, if it did while the new copy started
	fail := func(err error) *program {
		if errors.Is(err, errStoppedEarly) {
			r.log.Info("upgrade cut short: the instance is stopping")
			req.reply <- UpgradeResult{Error: "the instance is stopping", Stopping: true}
			return nil
		}
		res := UpgradeResult{Error: upgradeError(err, os.Getpid()), PID: p.pid, Generation: p.gen, OldEnded: oldEnded}
		if out != nil {
			res.LogTail = out.lines()
		}
		if oldEnded != "" {
			r.log.Error("upgrade failed, and the old copy ended meanwhile", "error", res.Error, "old_pid", p.pid, "old_status", oldEnded)
		} else {
			r.log.Error("upgrade failed; the old copy serves on", "error", res.Error, "old_pid", p.pid)
		}
		req.reply <- res
		return nil
	}
	if len(r.sockets) == 0 {
		return fail(fmt.Errorf("an upgrade needs sockets held by the supervisor: start it with --socket"))
	}
	if p.pid <= 0 {
		// A restart that did not get ready leaves no copy, only its status: there is
		// nothing to hand over from, and no process group to drain (a kill of -0 would be
		// the supervisor's own group).
		return fail(errNoCopy)
	}
	if n := len(r.copies) - 1; n >= maxDraining {
		return fail(fmt.Errorf("%d old copies are still draining (at most %d): try again when they are gone", n, maxDraining))
	}
	if err := r.checkUpgradeReadiness(); err != nil {
		return fail(err)
	}
	within := req.ReadyTimeout
	if within <= 0 {
		within = defaultUpgradeReadyTimeout
	}
	if req.Command != nil {
		r.command = req.Command
	}
	r.log.Info("upgrading: starting a new copy", "old_pid", p.pid, "command", r.command, "ready_timeout", within.String())
	began := time.Now()
	// The new copy's output goes through out, which keeps its last lines while it starts:
	// only start reads r.s.out, on this goroutine, so the swap is seen by its relays alone.
	out = &copyOutput{out: r.s.out, keep: tailLines}
	r.s.out = out
	endWatch := r.watchServing(p)
	np, err := r.startCopy(within, false, false) // an upgrade has no launcher to kill a copy that never gets ready
	if ws, ended := endWatch(); ended {
		oldEnded = describe(ws)
	}
	r.s.out = out.out
	if nr := (*notReadyError)(nil); errors.As(err, &nr) {
		err = fmt.Errorf("%w (--ready %s, within %s): %s", errNotReadyInTime, nr.ready, nr.within, nr.outcome())
		if nr.last != "" {
			err = fmt.Errorf("%w; %s", err, nr.last) // why: what it last said, or its check last met
		}
	}
	if err != nil { // a MAINPID= of the failed copy never counted: it was not made the main one
		r.command = p.command
		out.settle()
		return fail(err)
	}
	out.stopKeeping()
	np.command = r.command
	readyAfter := time.Since(began)
	main := r.makeMain(np)
	server.UpdateRecord(r.ctx, func(rec *instance.Record) { rec.Command = r.command; rec.SetChild(main) })
	if r.s.cfg.OnUpgrade != nil {
		r.s.cfg.OnUpgrade(r.ctx, r.command)
	}
	p.state = "draining"
	r.publishCopies()
	drainFor := r.s.cfg.DrainTimeout
	if req.Within > 0 {
		drainFor = max(min(drainFor, req.Within-time.Since(began)), 0) // the client waits no longer
	}
	r.draining.Add(1)
	go r.drain(p, drainFor, func(d time.Duration, killed bool, ws syscall.WaitStatus) {
		req.reply <- UpgradeResult{OK: true, PID: np.pid, Generation: np.gen, OldPID: p.pid,
			Ready: readyAfter, Drain: d, Killed: killed, OldExit: uncleanEnd(ws, killed || oldEnded != ""),
			Ended: copyEnded(np.pid), OldEnded: oldEnded}
	})
	// Said after the drain began: a log line may block, and must not hold its stop signal up.
	r.log.Info("the new copy serves; draining the old one", "pid", np.pid, "generation", np.gen,
		"old_pid", p.pid, "drain_timeout", drainFor.String())
	return np
}

// watchServing watches p, the copy that serves, while an upgrade starts its successor on
// the loop's goroutine, where wait cannot see p end: if it ends meanwhile, the log and the
// record say so at once, rather than show it ready. The func it returns ends the watch and
// says how p ended, if it did; p.exited still delivers that status afterwards.
func (r *run) watchServing(p *program) func() (syscall.WaitStatus, bool) {
	src, quit := p.exited, make(chan struct{})
	ended := make(chan *syscall.WaitStatus, 1)
	go func() {
		select {
		case ws := <-src:
			r.log.Warn("the copy that served ended while the upgrade started its successor", "pid", p.pid, "status", describe(ws))
			server.UpdateRecord(r.ctx, func(rec *instance.Record) {
				rec.LastExit = describe(ws)
				if rec.ChildPID == p.pid {
					rec.SetChild(0) // gone: its pid may be another's soon
				}
				for i := range rec.Copies {
					if rec.Copies[i].PID == p.pid {
						rec.Copies[i].State = "ended"
					}
				}
			})
			ended <- &ws
		case <-quit:
			ended <- nil
		}
	}()
	return func() (syscall.WaitStatus, bool) {
		close(quit)
		ws := <-ended
		if ws == nil {
			return 0, false
		}
		p.exited, p.state = closedStatus(*ws), "ended"
		return *ws, true
	}
}

// checkUpgradeReadiness refuses a readiness check that would probe one of the shared
// sockets: the kernel hands a probe to whichever copy accepts it, so the old copy would
// answer for the new one.
func (r *run) checkUpgradeReadiness() error {
	if r.s.cfg.Ready.Kind == "pidfile" {
		return fmt.Errorf("--ready %s: a program that daemonizes itself cannot be upgraded: two copies would share its pidfile", r.s.cfg.Ready.String())
	}
	var addrs []string
	for _, b := range r.sockets {
		if b.Network == "tcp" {
			addrs = append(addrs, b.addr)
		}
	}
	return ProbesSocket(r.s.cfg.Ready, addrs)
}

// ProbesSocket returns an error naming the socket if ready is a tcp: or http: check that
// would connect to one of the TCP addresses (HOST:PORT) the supervisor holds: there the
// kernel completes the handshake before the program accepts, and during an upgrade the
// old copy answers for the new one. It asks no DNS: a name other than localhost matches
// only itself, and a wildcard address matches every host.
func ProbesSocket(ready Readiness, addrs []string) error {
	hostport, ok := checkAddress(ready)
	if !ok {
		return nil
	}
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return nil
	}
	for _, addr := range addrs {
		bhost, bport, err := net.SplitHostPort(addr)
		if err != nil || bport != port || !sameHost(host, bhost) {
			continue
		}
		return fmt.Errorf("the readiness check %s probes the shared socket tcp:%s, where the old copy would answer for the new one: "+
			"start the instance with --ready notify, or a check of the new copy's own", ready.String(), addr)
	}
	return nil
}

// sameHost reports whether a connection to host may reach a socket bound to bound (an IP
// address), without asking DNS: a wildcard bound address takes every host.
func sameHost(host, bound string) bool {
	bip := net.ParseIP(bound)
	if bip == nil || bip.IsUnspecified() || host == bound {
		return true
	}
	if strings.EqualFold(host, "localhost") {
		return bip.IsLoopback()
	}
	if ip := net.ParseIP(host); ip != nil {
		return ip.Equal(bip) || (ip.IsUnspecified() && bip.IsLoopback())
	}
	return false
}

// copyEnded reports whether pid, a copy this supervisor started, is known to have ended: a
// zombie, or gone, or its pid another process's now. False where /proc cannot say.
func copyEnded(pid int) bool {
	st, err := proc.ReadStat(pid)
	if errors.Is(err, fs.ErrNotExist) {
		return true
	}
	return err == nil && (st.Zombie() || st.PPID != os.Getpid())
}

// errNoCopy refuses an upgrade while no copy of the program runs.
var errNoCopy = errors.New("the program is not running (a restart did not get ready, or it is between restarts): upgrade once it runs, or restart it")

// drain sends old its stop signal (and its named main process, if any), waits up to within
// for it (and that process) to end, then SIGKILLs its process group; it tells done how long that took, whether it killed old, and how old
// ended, and hands old back to the loop.
func (r *run) drain(old *program, within time.Duration, done func(time.Duration, bool, syscall.WaitStatus)) {
	defer r.draining.Done()
	began := time.Now()
	killed := false
	// The main process it named (MAINPID=), if any, is what serves (a wrapper's server):
	// it is asked to stop first, alone, and waited for, not SIGKILLed with the group once
	// the first process has ended; the first process is asked only once it has ended (or
	// outlived the bound), as systemd's KillMode=mixed orders it. Asked at once, a wrapper
	// that passes its stop signal on would give the server a second one, which tells many
	// a server (Go's NotifyContext, uvicorn) to give its drain up.
	if !r.askNamedFirst(old, began.Add(within)) { // its drain outlasts the bound: it is killed with the group
		killed = true
	}
	ws, drained := r.askFirst(old, !killed, began.Add(within)) // doUpgrade never drains pid 0
	if !drained {
		killed = true
		r.killGroup(old) // its own group: nothing of the new copy
		ws = <-old.exited
	}
	r.killGroup(old) // what it left in its group
	if ws.Signaled() && ws.Signal() == syscall.SIGKILL && r.over.Load() {
		killed = true // by the supervisor ending (the new copy ended, and no restart brought one)
	}
	// Its last lines relayed, and its output's pipe closed, before it is called gone: an
	// upgrade that returns has given back what the old copy held (a supervisor at its
	// open-files limit counts on that), bounded as a failure's report is.
	awaitOutput(old.output, old.relays)
	r.log.Info("the old copy is gone", "pid", old.pid, "generation", old.gen, "status", describe(ws),
		"drain", time.Since(began).Round(time.Millisecond).String(), "killed", killed)
	old.exited = closedStatus(ws)
	took := time.Since(began)
	// Off the record before the answer: an upgrade that says the old copy is gone is
	// followed by a status that does not list it, even while the loop is busy elsewhere
	// (backing off before a restart). The loop is not waited for: it may itself wait for
	// this drain (awaitDraining).
	r.takeOffRecord(old)
	done(took, killed, ws)
	select {
	case r.drained <- old:
	case <-r.ctx.Done():
	}
}

// uncleanEnd says how an old copy ended when it did not end with status 0 after its stop
// signal (a drain that gave up, such as a server whose own shutdown bound passed, or a
// program that its stop signal kills outright), so that an upgrade does not call that a
// drain; "" for a clean end, and for an end already told otherwise (told: killed by the
// supervisor, or ended on its own before the drain).
func uncleanEnd(ws syscall.WaitStatus, told bool) string {
	if told || (ws.Exited() && ws.ExitStatus() == 0) {
		return ""
	}
	return describe(ws)
}

// copyOutput passes a copy's output lines on to out (each Write whole lines, as relay
// writes them), keeping the last keep of them until stopKeeping: a failed upgrade
// quotes the new copy's own lines, not the log's, where the old copy goes on writing.
type copyOutput struct {
	out io.Writer

	mu    sync.Mutex
	keep  int // 0 once the copy serves
	last  []string
	wrote time.Time
}

func (c *copyOutput) Write(b []byte) (int, error) {
	n, err := c.out.Write(b)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.wrote = time.Now()
	if c.keep > 0 {
		for line := range strings.Lines(string(b)) {
			c.last = append(c.last, strings.TrimSuffix(line, "\n"))
		}
		if len(c.last) > c.keep {
			c.last = c.last[len(c.last)-c.keep:]
		}
	}
	return n, err
}

// stopKeeping stops keeping lines: the copy serves, and no error will quote them.
func (c *copyOutput) stopKeeping() {
	c.mu.Lock()
	c.keep, c.last = 0, nil
	c.mu.Unlock()
}

// lines returns the lines kept.
func (c *copyOutput) lines() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.last...)
}

// Bounds of settle: the output of a copy that is gone is taken to be all in once no line
// came for settleQuiet; settle never waits longer than settleMax (a process that left the
// copy's group may hold its output open).
const (
	settleQuiet = 50 * time.Millisecond
	settleMax   = time.Second
)

// settle waits, briefly and with a bound, for the relays to pass on what a copy that is
// gone wrote last: its lines are in the pipe before its end is seen, but the relays that
// read them run on their own. What it waits for is a courtesy to the error message only.
func (c *copyOutput) settle() {
	end := time.Now().Add(settleMax)
	for time.Now().Before(end) {
		c.mu.Lock()
		quiet := time.Since(c.wrote)
		c.mu.Unlock()
		if quiet >= settleQuiet {
			return
		}
		time.Sleep(settleQuiet - quiet)
	}
}
