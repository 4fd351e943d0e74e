package supervisor

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
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
// before the program starts, so that the check would pass, refuses the start, naming the
// address, the process (here this one) and the fix; once nothing answers, the start goes
// ahead.
func TestRefuseTaken(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	defer srv.Close()
	addr := srv.Listener.Addr().String()
	_, port, _ := net.SplitHostPort(addr)
	self := "(pid " + strconv.Itoa(os.Getpid()) + ": "
	for _, ready := range []string{"tcp:" + addr, "tcp:localhost:" + port, "http:http://" + addr + "/healthz", "tcp:0.0.0.0:" + port} {
		err := takenRun(ready, nil).refuseTaken()
		if err == nil {
			t.Errorf("--ready %s while this process answers there: started", ready)
			continue
		}
		for _, want := range []string{"--ready " + ready + ": another process " + self, "already answers", "before prog was started", "stop it, or choose another port"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("--ready %s: %q does not say %q", ready, err, want)
			}
		}
	}
	srv.Close()
	if err := takenRun("tcp:"+addr, nil).refuseTaken(); err != nil {
		t.Errorf("--ready tcp:%s with nothing there: %v", addr, err)
	}
}

// TestRefuseTakenSlow: another process that answers the check slowly, within the check's
// own time (a busy server, a /healthz that asks its database), would pass it too: refused.
func TestRefuseTakenSlow(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { time.Sleep(800 * time.Millisecond) }))
	defer srv.Close()
	if err := takenRun("http:http://"+srv.Listener.Addr().String()+"/", nil).refuseTaken(); err == nil {
		t.Error("--ready http: of another process that answers 200 in 0.8s: started")
	}
}

// TestRefuseTakenProxy: an http check of a local proxy (or a load balancer's address) that
// answers 502 until the program behind it is up would not pass: the start goes ahead.
func TestRefuseTakenProxy(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusBadGateway) }))
	defer srv.Close()
	if err := takenRun("http:http://"+srv.Listener.Addr().String()+"/", nil).refuseTaken(); err != nil {
		t.Errorf("--ready http: of a proxy answering 502: %v", err)
	}
}

// TestRefuseTakenOwnSocket: the supervisor's own socket answers a check of its address
// (which start refuses when it is written as the socket's, but not by another name, nor in
// the Go API): that is not another process.
func TestRefuseTakenOwnSocket(t *testing.T) {
	sockets, err := bind([]Socket{{Name: "tcp", Network: "tcp", Address: "127.0.0.1:0"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer unbind(sockets)
	_, port, _ := net.SplitHostPort(sockets[0].addr)
	readies := []string{"tcp:" + sockets[0].addr, "tcp:localhost:" + port}
	if name, err := os.Hostname(); err == nil {
		if _, local := localAddrs(context.Background(), name); local {
			readies = append(readies, "tcp:"+name+":"+port) // a name ProbesSocket cannot match
		}
	}
	for _, ready := range readies {
		if err := takenRun(ready, sockets).refuseTaken(); err != nil {
			t.Errorf("--ready %s, the supervisor's own socket: %v", ready, err)
		}
	}
}

// TestLocalAddrs: loopback, wildcard and interface addresses and localhost name this host;
// an address of no interface does not.
func TestLocalAddrs(t *testing.T) {
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
		if _, got := localAddrs(context.Background(), host); got != want {
			t.Errorf("localAddrs(%q) says local %v, want %v", host, got, want)
		}
	}
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			if _, local := localAddrs(context.Background(), n.IP.String()); !local {
				t.Errorf("localAddrs(%q), an interface's address, says not local", n.IP)
			}
		}
	}
}
