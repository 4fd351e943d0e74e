package supervisor

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/daemonkit/daemonkit/internal/chans"
	"github.com/daemonkit/daemonkit/internal/storage"
)

// ControlRequest is what a client sends on the control socket, as one JSON line.
type ControlRequest struct {
	Op      string   `json:"op"`                // "upgrade"
	Command []string `json:"command,omitempty"` // upgrade: the new copy's command line; empty: the current one
	// ReadyTimeout bounds how long the new copy may take to get ready before it is killed
	// and the upgrade fails; 0 is the supervisor's default (10s).
	ReadyTimeout time.Duration `json:"ready_timeout,omitempty"`
	// Within bounds the whole upgrade, from when the supervisor takes it: the old copy's
	// drain is cut (SIGKILL) once it has passed, so that the answer comes in time. 0: the
	// drain is bounded by --drain-timeout alone.
	Within time.Duration `json:"within,omitempty"`
}

// controlSocket is a run's control socket: it listens on ControlPath for upgrade requests
// from this user or root, and is made again if its path is deleted (restore).
type controlSocket struct {
	r    *run
	busy upgradeSlot // an upgrade runs

	mu     sync.Mutex
	ln     *net.UnixListener
	ino    uint64 // the socket file's inode, to tell it from another at its path
	closed bool

	spareMu   sync.Mutex
	spare     int  // a descriptor kept to take a connection at the limit on open files (-1: none)
	spareDone bool // closeSpare was called: no spare is opened again
}

// serveControl listens on ControlPath; close stops listening and removes the socket.
func (r *run) serveControl() (*controlSocket, error) {
	c := &controlSocket{r: r, spare: openSpare()}
	if err := c.listen(); err != nil {
		c.closeSpare()
		return nil, err
	}
	return c, nil
}

// openSpare opens the descriptor a control socket keeps to take a connection at the limit
// on open files (/dev/null, closed at exec); -1 if it cannot.
func openSpare() int {
	fd, err := unix.Open(os.DevNull, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1
	}
	return fd
}

// keepSpare opens the spare descriptor again if it is missing: refuseAtLimit gives it up,
// and cannot open it again while the limit it met holds (a soft limit lowered below it);
// without it, the next upgrade at the limit would wait for its whole timeout, unanswered.
func (c *controlSocket) keepSpare() {
	c.spareMu.Lock()
	defer c.spareMu.Unlock()
	if c.spare < 0 && !c.spareDone {
		c.spare = openSpare()
	}
}

// closeSpare closes the spare descriptor, if it is open, for good.
func (c *controlSocket) closeSpare() {
	c.spareMu.Lock()
	defer c.spareMu.Unlock()
	c.spareDone = true
	if c.spare >= 0 {
		_ = unix.Close(c.spare)
		c.spare = -1
	}
}

// accept takes the upgrades' connections on ln until it is closed. The limit on open
// files (EMFILE, ENFILE) refuses an accept whether or not a connection waits (the kernel
// takes the descriptor first): once one does, it is taken with the spare descriptor given
// up for it, and answered with the limit and its fix (refuseAtLimit); where even that
// fails, it is tried again after a pause, and the log says why: the socket takes upgrades
// again once the limit is raised.
func (c *controlSocket) accept(ln *net.UnixListener) {
	const firstPause, lastPause = 5 * time.Millisecond, time.Second
	pause := firstPause
	for {
		c.keepSpare()
		conn, err := ln.AcceptUnix()
		if atLimit(err) {
			if !pending(ln, pendingLook) {
				continue // none waits (or ln is closed: the accept says so)
			}
			if conn, err = ln.AcceptUnix(); atLimit(err) && c.refuseAtLimit(ln, err) {
				pause = firstPause
				continue
			}
		}
		switch {
		case err == nil:
			pause = firstPause
			go c.r.handleControl(conn, &c.busy)
			continue
		case !atLimit(err):
			return // closed
		case pause == firstPause:
			c.r.log.Error("an upgrade waits, which cannot be answered", "error", acceptError(err, os.Getpid()))
		}
		time.Sleep(pause) // a back-off: the connection waits in the backlog meanwhile
		pause = min(2*pause, lastPause)
	}
}

// atLimit reports whether err is a limit on open files: this process's (EMFILE) or the
// system's (ENFILE).
func atLimit(err error) bool { return errors.Is(err, unix.EMFILE) || errors.Is(err, unix.ENFILE) }

// pendingLook is how long pending waits for a connection at a time: how often the
// control socket, at the limit on open files with no upgrade asked, looks again.
const pendingLook = 250 * time.Millisecond

// pending reports whether a connection waits on ln, or comes within d, without taking a
// descriptor (the kernel takes it before it looks for one: accept says EMFILE whether or
// not one waits); false if ln is closed.
func pending(ln *net.UnixListener, d time.Duration) bool {
	rc, err := ln.SyscallConn()
	if err != nil {
		return false
	}
	var n int
	err = rc.Control(func(fd uintptr) {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, _ = unix.Poll(fds, int(d.Milliseconds()))
	})
	return err == nil && n > 0
}

// refuseAtLimit takes a connection on ln that the limit on open files refused with
// limitErr, and answers it with the limit and its fix: with the spare descriptor given up
// for it, or, where that is no use (a limit lowered below it since it was opened: prlimit),
// with this process's soft limit raised by one for the accept alone, where the hard one
// allows (acceptPastLimit). The spare is opened again after. false if neither took it.
func (c *controlSocket) refuseAtLimit(ln *net.UnixListener, limitErr error) bool {
	c.spareMu.Lock()
	defer c.spareMu.Unlock()
	if c.spare >= 0 {
		_ = unix.Close(c.spare)
		c.spare = -1
	}
	// Bounded: a client gone meanwhile leaves nothing to take, and the accept would wait
	// for the next one, the spare given up.
	_ = ln.SetDeadline(time.Now().Add(pendingLook))
	defer ln.SetDeadline(time.Time{})
	conn, err := ln.AcceptUnix()
	if errors.Is(err, unix.EMFILE) {
		conn, err = acceptPastLimit(ln)
	}
	if err == nil {
		c.r.refuseControl(conn, acceptError(limitErr, os.Getpid()))
	}
	if !c.spareDone {
		c.spare = openSpare() // -1 while the limit it met holds: keepSpare tries again
	}
	return err == nil
}

// listen makes the socket at ControlPath and serves it. The caller holds c.mu, or is its
// only user.
func (c *controlSocket) listen() error {
	path := c.r.s.cfg.ControlPath
	dir, err := openSocketDir(path, nil)
	if err != nil {
		return fmt.Errorf("control socket: %w", err)
	}
	defer dir.Close()
	if err := removeStaleSocket(dir, path); err != nil {
		return err
	}
	ln, ino, err := listenUnix(dir, path, 0o600) // 0600 before it listens: nobody else may even connect
	if err != nil {
		return fmt.Errorf("control socket: %w", storage.Explain(err, filepath.Dir(path), "--state-dir (or --pidfile)"))
	}
	ln.SetUnlinkOnClose(true)
	c.ino = ino
	c.ln = ln
	go c.accept(ln)
	return nil
}

// restore makes the socket again if its path no longer names it (deleted with the state
// directory, or replaced), so that upgrade still reaches this run.
func (c *controlSocket) restore() {
	c.mu.Lock()
	defer c.mu.Unlock()
	var st unix.Stat_t
	if c.closed || unix.Lstat(c.r.s.cfg.ControlPath, &st) == nil && st.Ino == c.ino {
		return
	}
	old := c.ln
	old.SetUnlinkOnClose(false) // its path is not its own any more
	if err := c.listen(); err != nil {
		c.r.log.Error("could not make the control socket again: upgrade cannot reach this instance", "error", err)
		return
	}
	old.Close()
	c.r.log.Info("control socket restored", "path", c.r.s.cfg.ControlPath)
}

// close stops listening and removes the socket.
func (c *controlSocket) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	c.ln.Close()
	c.closeSpare()
}

// upgradeSlot is the one upgrade a run takes at a time, and since when it runs. Its zero
// value is free.
type upgradeSlot struct {
	mu    sync.Mutex
	since time.Time // zero: free
}

// take claims the slot, or reports since when the upgrade that holds it runs.
func (s *upgradeSlot) take() (since time.Time, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.since.IsZero() {
		return s.since, false
	}
	s.since = time.Now()
	return s.since, true
}

// free gives the slot up.
func (s *upgradeSlot) free() {
	s.mu.Lock()
	s.since = time.Time{}
	s.mu.Unlock()
}

// upgradeTakeWait is how long a control request waits for the loop to take it.
const upgradeTakeWait = 2 * time.Second

// testHookAnswered, when set by a test, runs once handleControl has written an upgrade's
// result.
var testHookAnswered func()

// testHookBeforeReplySelect, when set by a test, runs in handleControl before it waits for
// an upgrade's result or the instance's stop, with the channel the result comes on.
var testHookBeforeReplySelect func(reply chan UpgradeResult)

// handleControl answers one client: it checks who it is, reads its request, passes an
// upgrade to the loop (one at a time: a second one is told another runs) and writes the
// result back, with the slot given up first: a client that upgrades again as soon as it
// has the answer finds it free.
func (r *run) handleControl(c *net.UnixConn, busy *upgradeSlot) {
	defer c.Close()
	enc := json.NewEncoder(c)
	if err := peerAllowed(c); err != nil {
		_ = enc.Encode(UpgradeResult{Error: err.Error()})
		return
	}
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	line, err := bufio.NewReader(c).ReadBytes('\n')
	if err != nil {
		return
	}
	var req ControlRequest
	if err := json.Unmarshal(line, &req); err != nil || req.Op != "upgrade" {
		_ = enc.Encode(UpgradeResult{Error: fmt.Sprintf("bad request %q", line)})
		return
	}
	if since, ok := busy.take(); !ok {
		_ = enc.Encode(UpgradeResult{Error: fmt.Sprintf("another upgrade runs, begun %s ago", time.Since(since).Round(100*time.Millisecond)), Busy: true})
		return
	}
	free := sync.OnceFunc(busy.free)
	defer free()
	reply := make(chan UpgradeResult, 1)
	select {
	case r.upgrades <- upgradeRequest{Command: req.Command, ReadyTimeout: req.ReadyTimeout, Within: req.Within, reply: reply}:
	case <-r.ctx.Done():
		_ = enc.Encode(UpgradeResult{Error: "the instance is stopping", Stopping: true})
		return
	case <-time.After(upgradeTakeWait):
		// The loop takes requests while a copy serves or between restarts; not while a
		// copy starts, nor while the rest of one whose main process ended stops. Left
		// waiting, the request would be applied later, after its client gave up.
		if r.endingCopy.Load() {
			_ = enc.Encode(UpgradeResult{Error: "the program's main process has ended, and the rest of its copy is stopping: upgrade once --restart has started it again (or start it, if it does not restart)"})
			return
		}
		_ = enc.Encode(UpgradeResult{Error: "the program is starting: upgrade once it is ready"})
		return
	}
	if testHookBeforeReplySelect != nil {
		testHookBeforeReplySelect(reply)
	}
	var res UpgradeResult
	var came bool
	select {
	case res = <-reply:
		came = true
	case <-r.ctx.Done():
		// Its result may have come as the stop began, both found late (a loaded machine):
		// select picks either at random, and an upgrade that was done would be told failed.
		res, came = chans.Came(reply)
	}
	if !came {
		_ = enc.Encode(UpgradeResult{Error: "the instance stopped during the upgrade", Stopping: true})
		return
	}
	free()
	_ = enc.Encode(res)
	if testHookAnswered != nil {
		testHookAnswered()
	}
}

// refuseControl answers the client c, once it has said its request, with the error why,
// which it logs: an upgrade that cannot be taken.
func (r *run) refuseControl(c *net.UnixConn, why string) {
	defer c.Close()
	enc := json.NewEncoder(c)
	if err := peerAllowed(c); err != nil {
		_ = enc.Encode(UpgradeResult{Error: err.Error()})
		return
	}
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := bufio.NewReader(c).ReadBytes('\n'); err != nil {
		return
	}
	r.log.Error("upgrade refused", "error", why)
	_ = enc.Encode(UpgradeResult{Error: why})
}

// ErrControlPeer means the process that answers at an instance's control socket's path is
// not its supervisor (see ControlPeer).
var ErrControlPeer = errors.New("control socket not the supervisor's")
