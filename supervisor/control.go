package supervisor

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/sys/unix"

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
}

// serveControl listens on ControlPath; close stops listening and removes the socket.
func (r *run) serveControl() (*controlSocket, error) {
	c := &controlSocket{r: r}
	if err := c.listen(); err != nil {
		return nil, err
	}
	return c, nil
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
	go func() {
		for {
			conn, err := ln.AcceptUnix()
			if err != nil {
				return
			}
			go c.r.handleControl(conn, &c.busy)
		}
	}()
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
		// copy starts. Left waiting, the request would be applied once it is ready, after
		// its client gave up.
		_ = enc.Encode(UpgradeResult{Error: "the program is starting: upgrade once it is ready"})
		return
	}
	select {
	case res := <-reply:
		free()
		_ = enc.Encode(res)
		if testHookAnswered != nil {
			testHookAnswered()
		}
	case <-r.ctx.Done():
		_ = enc.Encode(UpgradeResult{Error: "the instance stopped during the upgrade", Stopping: true})
	}
}

// ErrControlPeer means the process that answers at an instance's control socket's path is
// not its supervisor (see ControlPeer).
var ErrControlPeer = errors.New("control socket not the supervisor's")
