package supervisor

import (
	"cmp"
	"context"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/daemonkit/daemonkit/internal/proc"
)

// takenWait bounds each step of the look, before a copy starts, for another process on
// the address a tcp or http check probes: resolving its name, and the one connect.
const takenWait = 500 * time.Millisecond

// refuseTaken returns an error if the tcp or http check's address is local to this host
// and already accepts a connection before a copy of the program is started: the check
// would pass for whatever answers there (an init script's copy still running, the usual
// case when moving a service over) while the program fails to bind. The error names the
// process that listens there when /proc says (proc.TCPListener). A remote address is not
// looked at, nor one of the supervisor's own sockets (which it holds itself, and which a
// check may not probe: ProbesSocket).
func (r *run) refuseTaken() error {
	hostport, ok := checkAddress(r.s.cfg.Ready)
	if !ok || ProbesSocket(r.s.cfg.Ready, r.socketAddrs()) != nil {
		return nil
	}
	host, _, err := net.SplitHostPort(hostport)
	if err != nil || !isLocal(r.ctx, host) {
		return nil
	}
	d := net.Dialer{Timeout: takenWait}
	conn, err := d.DialContext(r.ctx, "tcp", hostport)
	if err != nil {
		return nil // refused, or no answer in time: nothing listens there that would answer the check
	}
	at := conn.RemoteAddr().String()
	conn.Close()
	who := "another process"
	if addr, err := netip.ParseAddrPort(at); err == nil {
		if pid, command, ok := proc.TCPListener(addr); ok {
			who = fmt.Sprintf("another process (pid %d: %s)", pid, command)
		}
	}
	prog := filepath.Base(r.command[0])
	return fmt.Errorf("--ready %s: %s already answers %s before %s was started; the check would pass for it, not for %s: stop it, or choose another port (for %s and --ready)",
		r.s.cfg.Ready, who, hostport, prog, prog, prog)
}

// checkAddress is the HOST:PORT a tcp or http check connects to; ok is false for any
// other readiness.
func checkAddress(ready Readiness) (hostport string, ok bool) {
	switch ready.Kind {
	case "tcp":
		return ready.Target, true
	case "http":
		u, err := url.Parse(ready.Target)
		if err != nil {
			return "", false
		}
		return net.JoinHostPort(u.Hostname(), cmp.Or(u.Port(), "80")), true // http only: ParseReadiness refuses https
	}
	return "", false
}

// socketAddrs is the TCP addresses of the supervisor's sockets, as given and as bound.
func (r *run) socketAddrs() []string {
	var addrs []string
	for _, b := range r.sockets {
		if b.Network == "tcp" {
			addrs = append(addrs, b.Address, b.addr)
		}
	}
	return addrs
}

// isLocal reports whether host, as a check's connect resolves it, names this host: no
// host, localhost, a loopback or wildcard address, or an address of one of its
// interfaces. A name that does not resolve within takenWait is not.
func isLocal(ctx context.Context, host string) bool {
	if host == "" || strings.EqualFold(host, "localhost") {
		return true
	}
	var ips []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		ips = append(ips, ip.WithZone(""))
	} else {
		lctx, cancel := context.WithTimeout(ctx, takenWait)
		defer cancel()
		if ips, err = net.DefaultResolver.LookupNetIP(lctx, "ip", host); err != nil {
			return false
		}
	}
	ifaces, _ := net.InterfaceAddrs()
	for _, ip := range ips {
		ip = ip.Unmap()
		if ip.IsLoopback() || ip.IsUnspecified() {
			return true
		}
		for _, a := range ifaces {
			if n, ok := a.(*net.IPNet); ok {
				if own, ok := netip.AddrFromSlice(n.IP); ok && own.Unmap() == ip.WithZone("") {
					return true
				}
			}
		}
	}
	return false
}
