package supervisor

import (
	"context"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
)

// takenRun is a run whose readiness is ready and whose program is prog, holding sockets.
func takenRun(ready string, sockets []bound) *run {
	r, err := ParseReadiness(ready)
	if err != nil {
		panic(err)
	}
	return &run{s: New(Config{Ready: r}, io.Discard), ctx: context.Background(), command: []string{"/usr/sbin/prog", "-x"}, sockets: sockets}
}

// TestRefuseTaken: a tcp: or http: check of a local address another process answers
// before the program starts refuses the start, naming the address, the process (here
// this one) and the fix; once nothing answers, the start goes ahead.
func TestRefuseTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr := ln.Addr().String()
	_, port, _ := net.SplitHostPort(addr)
	self := "(pid " + strconv.Itoa(os.Getpid()) + ": "
	for _, ready := range []string{"tcp:" + addr, "tcp:localhost:" + port, "http:http://" + addr + "/healthz", "tcp:0.0.0.0:" + port} {
		err := takenRun(ready, nil).refuseTaken()
		if err == nil {
			t.Errorf("--ready %s while this process listens there: started", ready)
			continue
		}
		for _, want := range []string{"--ready " + ready + ": another process " + self, "already answers", "before prog was started", "stop it, or choose another port"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("--ready %s: %q does not say %q", ready, err, want)
			}
		}
	}
	ln.Close()
	if err := takenRun("tcp:"+addr, nil).refuseTaken(); err != nil {
		t.Errorf("--ready tcp:%s with nothing there: %v", addr, err)
	}
}

// TestRefuseTakenOwnSocket: the supervisor's own socket answers a check of its address
// (which start refuses, but the Go API may be given): that is not another process.
func TestRefuseTakenOwnSocket(t *testing.T) {
	sockets, err := bind([]Socket{{Name: "tcp", Network: "tcp", Address: "127.0.0.1:0"}})
	if err != nil {
		t.Fatal(err)
	}
	defer unbind(sockets)
	if err := takenRun("tcp:"+sockets[0].addr, sockets).refuseTaken(); err != nil {
		t.Errorf("--ready tcp: of the supervisor's own socket: %v", err)
	}
}

// TestIsLocal: loopback, wildcard and interface addresses and localhost name this host;
// an address of no interface does not.
func TestIsLocal(t *testing.T) {
	for host, want := range map[string]bool{
		"":           true,
		"localhost":  true,
		"LocalHost":  true,
		"127.0.0.1":  true,
		"127.1.2.3":  true,
		"::1":        true,
		"0.0.0.0":    true,
		"::":         true,
		"192.0.2.1":  false, // TEST-NET-1: no host has it
		"2001:db8::": false,
	} {
		if got := isLocal(context.Background(), host); got != want {
			t.Errorf("isLocal(%q) = %v, want %v", host, got, want)
		}
	}
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !isLocal(context.Background(), n.IP.String()) {
			t.Errorf("isLocal(%q), an interface's address, = false", n.IP)
		}
	}
}
