package supervisor

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// ControlRequest is what a client sends on the control socket, as one JSON line.
type ControlRequest struct {
	Op      string   `json:"op"`                // "upgrade"
	Command []string `json:"command,omitempty"` // upgrade: the new copy's command line; empty: the current one
	// ReadyTimeout bounds how long the new copy may take to get ready before it is killed
	// and the upgrade fails; 0 is the supervisor's default (10s).
	ReadyTimeout time.Duration `json:"ready_timeout,omitempty"`
}

// serveControl listens on ControlPath for upgrade requests from this user or root, and
// returns a function that stops listening and removes the socket.
func (r *run) serveControl() (stop func(), err error) {
	path := r.s.cfg.ControlPath
	if err := removeStaleSocket(path); err != nil {
		return nil, err
	}
	old := unix.Umask(0o077) // the socket is born 0600: nobody else may even connect
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	unix.Umask(old)
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	ln.SetUnlinkOnClose(true)
	var busy atomic.Bool
	go func() {
		for {
			c, err := ln.AcceptUnix()
			if err != nil {
				return
			}
			go r.handleControl(c, &busy)
		}
	}()
	return func() { ln.Close() }, nil
}

// handleControl answers one client: it checks who it is, reads its request, passes an
// upgrade to the loop (one at a time: a second one is told another runs) and writes the
// result back.
func (r *run) handleControl(c *net.UnixConn, busy *atomic.Bool) {
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
	if !busy.CompareAndSwap(false, true) {
		_ = enc.Encode(UpgradeResult{Error: "another upgrade runs", Busy: true})
		return
	}
	defer busy.Store(false)
	reply := make(chan UpgradeResult, 1)
	select {
	case r.upgrades <- upgradeRequest{Command: req.Command, ReadyTimeout: req.ReadyTimeout, reply: reply}:
	case <-r.ctx.Done():
		_ = enc.Encode(UpgradeResult{Error: "the instance is stopping", Stopping: true})
		return
	}
	select {
	case res := <-reply:
		_ = enc.Encode(res)
	case <-r.ctx.Done():
		_ = enc.Encode(UpgradeResult{Error: "the instance stopped during the upgrade", Stopping: true})
	}
}
