package supervisor

import (
	"cmp"
	"context"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/daemonkit/daemonkit/internal/proc"
)

// takenWait bounds the resolving of a check's name, before a copy starts, to tell whether
// it is this host's.
const takenWait = 500 * time.Millisecond

// refuseTaken returns an error if the tcp or http check, tried once before a copy of the
// program is started, already passes, and its address is this host's: it would pass for
// whatever answers there (an init script's copy still running, the usual case when moving
// a service over) while the program fails to bind. An http check passes only as it always
// does (2xx or 3xx), so a local proxy that answers 502 until the program is up is no
// refusal. The error names the process that listens there when /proc says
// (proc.TCPListener). An address not all of whose names are this host's is not looked at,
// nor one of the supervisor's own sockets (which it holds itself, and which a check may not
// probe: ProbesSocket), by name or by address.
func (r *run) refuseTaken() error {
	hostport, ok := checkAddress(r.s.cfg.Ready)
	if !ok || ProbesSocket(r.s.cfg.Ready, r.socketAddrs()) != nil {
		return nil
	}
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return nil
	}
	ips, local := localAddrs(r.ctx, host)
	if !local || r.ownSocket(ips, port) {
		return nil
	}
	if _, err := r.checkOnce(r.ctx); err != nil { // bounded as the check is: a slow answer passes it too
		return nil // it does not pass: nothing there would answer for the program
	}
	who := "another process"
	if p, err := strconv.ParseUint(port, 10, 16); err == nil {
		at := ips[0]
		switch { // a connect to a wildcard address reaches this host's loopback
		case at.IsUnspecified() && at.Is4():
			at = netip.AddrFrom4([4]byte{127, 0, 0, 1})
		case at.IsUnspecified():
			at = netip.IPv6Loopback()
		}
		if pid, command, ok := proc.TCPListener(netip.AddrPortFrom(at, uint16(p))); ok {
			who = fmt.Sprintf("another process (pid %d: %s)", pid, command)
		}
	}
	prog := filepath.Base(r.command[0])
	return fmt.Errorf("--ready %s: %s already answers %s before %s was started; the check would pass for it, not for %s: stop it, or choose another port (for %s and --ready)",
		r.s.cfg.Ready, who, hostport, prog, prog, prog)
}

// ownSocket reports whether one of the supervisor's TCP sockets is bound to port on one of
// ips, or on every address.
func (r *run) ownSocket(ips []netip.Addr, port string) bool {
	for _, b := range r.sockets {
		bhost, bport, err := net.SplitHostPort(b.addr)
		if b.Network != "tcp" || err != nil || bport != port {
			continue
		}
		bound, err := netip.ParseAddr(bhost)
		if err != nil || bound.IsUnspecified() {
			return true
		}
		for _, ip := range ips {
			if ip == bound.Unmap().WithZone("") {
				return true
			}
		}
	}
	return false
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

// localAddrs resolves host as a check's connect would, and reports whether every address
// it names is this host's: no host or localhost (then 127.0.0.1), a loopback or wildcard
// address, or an address of one of its interfaces. A name that does not resolve within
// takenWait, or that names any other address too (where the connect may go), is not.
func localAddrs(ctx context.Context, host string) ([]netip.Addr, bool) {
	if host == "" || strings.EqualFold(host, "localhost") {
		return []netip.Addr{netip.AddrFrom4([4]byte{127, 0, 0, 1})}, true
	}
	var ips []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		ips = append(ips, ip)
	} else {
		lctx, cancel := context.WithTimeout(ctx, takenWait)
		defer cancel()
		if ips, err = net.DefaultResolver.LookupNetIP(lctx, "ip", host); err != nil || len(ips) == 0 {
			return nil, false
		}
	}
	ifaces, _ := net.InterfaceAddrs()
	for i, ip := range ips {
		ip = ip.Unmap().WithZone("")
		ips[i] = ip
		if !ip.IsLoopback() && !ip.IsUnspecified() && !isInterfaceAddr(ip, ifaces) {
			return nil, false
		}
	}
	return ips, true
}

// isInterfaceAddr reports whether ip is the address of one of ifaces.
func isInterfaceAddr(ip netip.Addr, ifaces []net.Addr) bool {
	for _, a := range ifaces {
		if n, ok := a.(*net.IPNet); ok {
			if own, ok := netip.AddrFromSlice(n.IP); ok && own.Unmap() == ip {
				return true
			}
		}
	}
	return false
}
