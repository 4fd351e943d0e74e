package supervisor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/internal/http1"
	"github.com/daemonkit/daemonkit/notify"
	"github.com/daemonkit/daemonkit/server"
)

// maxProbeLines bounds how many ways a readiness check failed are logged in one start (a
// check whose stderr changes every try would otherwise log every try).
const maxProbeLines = 8

// checkTimeout bounds one try of a tcp, http or cmd readiness check.
const checkTimeout = 5 * time.Second

// awaitNotify waits for READY=1 from the program or a descendant of it (systemd-notify run
// from its shell script counts); ERRNO= before it fails the start, STATUS= is logged and
// passed to the launcher, EXTEND_TIMEOUT_USEC= gives the launcher more time, MAINPID=
// names the process that signals go to. extend, if not nil, is told each
// EXTEND_TIMEOUT_USEC= too: the bound of a start that has no launcher (a restart's).
//
// A copy that said a status and did not get ready clears it in the service manager
// (STATUS=), which would otherwise show it over the copy that serves on (an upgrade's
// failed copy: "migrating db" for good).
func (r *run) awaitNotify(ctx context.Context, p *program, sock *notify.Socket, extend func(time.Duration)) (err error) {
	r.acceptFrom(sock, p.pid)
	heard := notifyHeard{prog: filepath.Base(p.command[0]), speaks: r.s.cfg.FailKey != ""}
	defer func() {
		if err != nil && heard.status {
			server.NotifyManager(r.ctx, "STATUS=")
		}
	}()
	r.waiting(p, heard.String())
	for {
		m, err := sock.Receive(ctx)
		if err != nil {
			return err
		}
		if p.settled(m) {
			continue // the supervisor's own (settleNotes)
		}
		r.note(p, m)
		if heard.add(m); !heard.status && !m.Ready {
			r.waiting(p, heard.String())
		}
		if why, ok := m.Other[r.s.cfg.FailKey]; ok && r.s.cfg.FailKey != "" {
			return errors.New(why)
		}
		switch {
		case m.Errno != 0:
			return fmt.Errorf("the program reported ERRNO=%d (%v) before it was ready", int(m.Errno), m.Errno)
		case m.ExtendTimeout > 0:
			server.ExtendStart(r.ctx, m.ExtendTimeout)
			if extend != nil {
				extend(m.ExtendTimeout)
			}
		}
		if m.HasStatus {
			server.StartStatus(r.ctx, m.Status)
			p.said("its last status: " + m.Status)
		}
		if m.Ready {
			if key := r.s.cfg.ListenKey; key != "" {
				p.addr = m.Other[key]
			}
			return nil
		}
	}
}

// waiting makes what, what the copy p has sent while it starts, the start's status and
// the end of the error of a copy not ready in time (program.said), until it sends a
// STATUS= of its own.
func (r *run) waiting(p *program, what string) {
	server.StartStatus(r.ctx, what)
	p.said(what)
}

// notifyHeard is what a copy sent on its notify socket before READY=1: a start that times
// out says that nothing came (a program that does not speak sd_notify at all), or what did.
type notifyHeard struct {
	prog     string   // the program's name, for the message
	messages int      // how many came
	fields   []string // the fields they held (sentFields), each once, in the order they came
	status   bool     // one held STATUS=: that, not this, is the program's own word
	speaks   bool     // the program is known to speak sd_notify (it was given Config.FailKey)
}

// add counts m in.
func (h *notifyHeard) add(m notify.Message) {
	h.messages++
	h.status = h.status || m.HasStatus
	for _, f := range sentFields(m) {
		if !slices.Contains(h.fields, f) {
			h.fields = append(h.fields, f)
		}
	}
}

func (h *notifyHeard) String() string {
	switch {
	case h.messages == 0 && h.speaks:
		return "no READY=1 ever arrived: it has not said it is ready"
	case h.messages == 0:
		return fmt.Sprintf("no READY=1 ever arrived: it sent no sd_notify message; does %s support sd_notify (NOTIFY_SOCKET)?", h.prog)
	case len(h.fields) == 0:
		return fmt.Sprintf("no READY=1 ever arrived: it sent %d sd_notify messages with no field daemonkit could read (the log says why)", h.messages)
	}
	return "no READY=1 ever arrived: it sent only " + strings.Join(h.fields, ", ")
}

// maxFieldValue bounds the value of a field sentFields quotes.
const maxFieldValue = 32

// sentFields is the fields m holds but READY=1 and STATUS=, as KEY=VALUE (values of fields
// daemonkit does not know cut to maxFieldValue bytes), keys sorted.
func sentFields(m notify.Message) []string {
	var out []string
	for flag, f := range map[string]bool{"RELOADING=1": m.Reloading, "STOPPING=1": m.Stopping, "WATCHDOG=1": m.WatchdogPing, "BARRIER=1": m.Barrier} {
		if f {
			out = append(out, flag)
		}
	}
	if m.Errno != 0 {
		out = append(out, fmt.Sprintf("ERRNO=%d", int(m.Errno)))
	}
	if m.MainPID > 0 {
		out = append(out, fmt.Sprintf("MAINPID=%d", m.MainPID))
	}
	if m.ExtendTimeout > 0 {
		out = append(out, fmt.Sprintf("EXTEND_TIMEOUT_USEC=%d", m.ExtendTimeout.Microseconds()))
	}
	for k, v := range m.Other {
		if len(v) > maxFieldValue {
			v = strings.ToValidUTF8(v[:maxFieldValue], "") + "..."
		}
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return out
}

// listenOn keeps reading the program's notifications after it is ready, until it ends.
func (r *run) listenOn(p *program) {
	for {
		m, err := p.sock.Receive(r.ctx)
		if err != nil {
			return // closed when the program ended, or the run is over
		}
		if p.settled(m) {
			continue // the supervisor's own (settleNotes)
		}
		r.note(p, m)
	}
}

// acceptFrom makes sock take datagrams only from pid and its descendants; others are
// dropped and logged: every one of the program's own, and of the others the first and
// then one a while (rejectLog).
func (r *run) acceptFrom(sock *notify.Socket, pid int) {
	descendant := notify.Descendant(pid)
	self := os.Getpid() // `exec systemd-notify --ready` as root labels its datagram with its parent's pid: this one
	sock.Accept = func(sender int) bool { return sender == pid || sender == self || descendant(sender) }
	if r.rejects == nil {
		r.rejects = &rejectLog{now: time.Now}
	}
	sock.OnReject = func(sender int, reason string) {
		// The program's own (a READY=1 too large, a field it got wrong) are always said:
		// they are why it is not ready. Only a stranger's are bounded.
		r.rejects.drop(r.log, sender, reason, sender > 0 && sock.Accept(sender))
	}
}

// note logs what a notification of the copy p says and follows MAINPID= (see nameMain).
func (r *run) note(p *program, m notify.Message) {
	if m.Err != nil {
		r.log.Warn("a notification had a bad field", "sender", m.PID, "error", m.Err)
	}
	if m.HasStatus {
		if m.Status != "" { // an empty one clears the last
			r.log.Info("status", "status", m.Status)
		}
		server.NotifyManager(r.ctx, "STATUS="+m.Status) // passed through to a service manager
	}
	if m.Errno != 0 {
		r.log.Warn("the program reported an error", "errno", int(m.Errno), "error", m.Errno.Error())
	}
	if unused := unusedFields(m); len(unused) > 0 {
		// Said, and nothing follows from it here: a program that counts on a watchdog or
		// a reload state (systemd's) can tell from the log that it gets none.
		r.log.Debug("notification fields that daemonkit does not act on", "fields", unused, "sender", m.PID)
	}
	if m.MainPID > 0 && !r.s.namesMain(p, m.MainPID) {
		// Only a process of the program's own may become its main process, which stop,
		// reload and restart signal (see openMain): a MAINPID naming any other process would
		// have this supervisor, perhaps root, signal it.
		h, why := openMain(m.MainPID)
		if h == nil {
			r.log.Warn("ignored MAINPID: "+why, "mainpid", m.MainPID, "sender", m.PID)
			return
		}
		moved, taken := r.nameMain(p, h)
		if !taken {
			r.log.Info("ignored MAINPID: this copy of the program is being stopped, drained or killed, or has ended", "mainpid", m.MainPID, "sender", m.PID)
			return
		}
		r.log.Info("the program names its main process", "mainpid", m.MainPID, "pid", p.pid)
		if moved {
			server.UpdateRecord(r.ctx, func(rec *instance.Record) { rec.SetChild(m.MainPID) })
		}
	}
}

// unusedFields names what m says that the supervisor does not act on: RELOADING=1,
// STOPPING=1, WATCHDOG= and every field it does not know, sorted.
func unusedFields(m notify.Message) []string {
	var unused []string
	if m.Reloading {
		unused = append(unused, "RELOADING")
	}
	if m.Stopping {
		unused = append(unused, "STOPPING")
	}
	if m.WatchdogPing {
		unused = append(unused, "WATCHDOG")
	}
	for k := range m.Other {
		unused = append(unused, k)
	}
	slices.Sort(unused)
	return unused
}

// probe tries the tcp, http or cmd check every ReadyInterval until one succeeds. Each way
// it fails is logged once (the first maxProbeLines of them) and, as it changes, becomes the
// start's status, so that a start that times out says what the check last met
// ("connection refused"), not only that it timed out.
func (r *run) probe(ctx context.Context, p *program) error {
	cfg := r.s.cfg
	tick := time.NewTicker(cfg.ReadyInterval)
	defer tick.Stop()
	var last error
	seen := map[string]bool{} // the ways it failed that are logged, at most maxProbeLines
	for {
		err := r.check(ctx, p)
		if err == nil {
			return nil
		}
		if !errors.Is(err, context.Canceled) && ctx.Err() == nil {
			if msg := err.Error(); last == nil || msg != last.Error() {
				if !seen[msg] && len(seen) < maxProbeLines {
					seen[msg] = true
					r.log.Info("not ready yet", "ready", cfg.Ready.String(), "error", err)
				}
				server.StartStatus(r.ctx, "not ready yet: "+msg) // the error names the check
				p.said("its check last failed: " + msg)
			}
			last = err
		}
		select {
		case <-ctx.Done():
			if last != nil {
				return fmt.Errorf("not ready: %w", last)
			}
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// check tries the readiness check once; a tcp or http check that passes gives p the
// address it reached.
func (r *run) check(ctx context.Context, p *program) error {
	addr, err := r.checkOnce(ctx)
	if err == nil && addr != "" {
		p.addr = addr
	}
	return err
}

// checkOnce tries the readiness check once, within checkTimeout, and returns the address
// a tcp or http check reached.
func (r *run) checkOnce(ctx context.Context) (string, error) {
	ready := r.s.cfg.Ready
	cctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	switch ready.Kind {
	case "tcp":
		var d net.Dialer
		conn, err := d.DialContext(cctx, "tcp", ready.Target)
		if err != nil {
			return "", err
		}
		conn.Close()
		return ready.Target, nil
	case "http":
		code, err := http1.Get(cctx, ready.Target)
		if err != nil {
			return "", err
		}
		if code < 200 || code > 399 { // 2xx and 3xx, as a Kubernetes httpGet probe takes them (a redirect is not followed)
			return "", fmt.Errorf("GET %s: status %d", ready.Target, code)
		}
		if u, err := url.Parse(ready.Target); err == nil {
			return u.Host, nil
		}
		return "", nil
	case "cmd":
		return "", r.runCheck(cctx, ready.Target)
	}
	return "", fmt.Errorf("unknown readiness %q", ready.Kind)
}

// runCheck runs `sh -c command` (through the reaper: nothing else may wait for children
// here) and succeeds when it exits 0; past ctx it is killed. It runs as the program does
// (Config.Credential), as systemd runs ExecStartPost= as User=: never as root for a
// program that runs as another user, whose environment (an env file of that user's) and
// working directory would otherwise choose what root runs.
func (r *run) runCheck(ctx context.Context, command string) error {
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer null.Close()
	env := r.s.cfg.Env
	if env == nil {
		env = os.Environ()
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		return err
	}
	defer errR.Close()
	pid, done, err := r.reaper.start("/bin/sh", []string{"sh", "-c", command}, &os.ProcAttr{
		Env: env, Files: []*os.File{null, null, errW}, Sys: checkAttr(r.s.cfg.Credential),
	})
	errW.Close()
	if err != nil {
		return err
	}
	said := make(chan string, 1)
	go func() { said <- lastLine(errR) }()
	select {
	case ws := <-done:
		if ws.Exited() && ws.ExitStatus() == 0 {
			return nil
		}
		errR.SetReadDeadline(time.Now().Add(checkOutputWait)) // a child it left may hold the pipe
		who := asWhom(r.s.cfg.Credential)
		if line := <-said; line != "" {
			return fmt.Errorf("check %q%s %s: %s", command, who, describe(ws), line)
		}
		return fmt.Errorf("check %q%s %s", command, who, describe(ws))
	case <-ctx.Done():
		_ = r.reaper.kill(pid, done, syscall.SIGKILL) // our child, unless reaped already
		<-done
		return fmt.Errorf("check %q: %w", command, ctx.Err())
	}
}

// asWhom says, for a check's failure, whom it ran as when that is the --user: what root
// may reach (a socket of root's with mode 0660), that user may not.
func asWhom(cred *syscall.Credential) string {
	if cred == nil || cred.Uid == uint32(os.Geteuid()) {
		return ""
	}
	return fmt.Sprintf(" (run as uid %d, the --user)", cred.Uid)
}

// checkAttr runs a check as cred (nil: as this process), and, as another user, in a
// session of its own, without this process's controlling terminal, as the program runs (see run.start).
func checkAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: cred, Setsid: cred != nil && hasTerminal()}
}

// checkOutputWait bounds how long a failed check's stderr is read after it exited.
const checkOutputWait = 100 * time.Millisecond

// lastLine reads r to its end (or its deadline) and returns the last line that is not
// blank, at most maxCheckLine bytes of it.
func lastLine(r io.Reader) string {
	var tail []byte
	buf := make([]byte, 4096)
	for {
		n, err := r.Read(buf)
		tail = append(tail, buf[:n]...)
		if len(tail) > 2*maxCheckLine {
			tail = tail[len(tail)-2*maxCheckLine:]
		}
		if err != nil {
			break
		}
	}
	lines := strings.Split(strings.TrimRight(string(tail), " \t\r\n"), "\n")
	line := strings.TrimSpace(lines[len(lines)-1])
	if len(line) > maxCheckLine {
		line = line[len(line)-maxCheckLine:]
	}
	return strings.ToValidUTF8(line, "?")
}

// maxCheckLine bounds the line of a failed check's stderr that its error quotes.
const maxCheckLine = 200
