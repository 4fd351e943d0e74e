//go:build linux

package upgradetest

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"

	sddaemon "github.com/coreos/go-systemd/v22/daemon"

	"github.com/daemonkit/daemonkit/activation"
)

// Bounds of the test server: it never outlives a forgotten test for long, and a slow
// request that no drain ends still ends.
const (
	serverLifetime = 10 * time.Minute
	slowBound      = 30 * time.Second // a slow request waits at most this long for a drain
	idleBound      = 5 * time.Second  // a drain waits at most this long for connections to leave
)

// serverMain is the test server, `upgradetest-server [-label L] [-exit-at-once]
// [-never-ready]`: it takes its listening socket from LISTEN_FDS (LISTEN_PID must be its
// own pid), says READY=1 on NOTIFY_SOCKET, and answers
//
//	GET or POST /   "pid=PID label=L" (and the headers X-Pid, X-Label)
//	GET /slow       the headers at once, then, once this copy drains (or after
//	                slowBound), "pid=PID label=L drained=true|false"
//
// On SIGTERM it drains: it stops accepting, answers every request still coming on its open
// connections with Connection: close (so a keep-alive client never sends on a connection
// this copy closes), waits until its connections are gone (the slow requests finished), and
// exits 0. -exit-at-once exits 3 at once; -never-ready never says READY=1 and never accepts;
// -plain-shutdown drains with http.Server.Shutdown alone, as many Go servers do (which
// closes idle keep-alive connections under their clients).
func serverMain(args []string) int {
	fs := flag.NewFlagSet(serverArg, flag.ContinueOnError)
	label := fs.String("label", "", "what answers say besides the pid")
	exitAtOnce := fs.Bool("exit-at-once", false, "exit 3 at once")
	neverReady := fs.Bool("never-ready", false, "never say READY=1")
	plainShutdown := fs.Bool("plain-shutdown", false, "drain with http.Server.Shutdown alone")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	pid := os.Getpid()
	logf := func(format string, a ...any) {
		fmt.Fprintf(os.Stderr, "upgradetest-server %s (pid %d): %s\n", *label, pid, fmt.Sprintf(format, a...))
	}
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM, syscall.SIGINT)
	switch {
	case *exitAtOnce:
		logf("exiting at once, as asked")
		return 3
	case *neverReady:
		logf("waiting for something that never comes: no READY=1")
		select {
		case <-term:
		case <-time.After(serverLifetime):
		}
		return 0
	}
	if got := os.Getenv("LISTEN_PID"); got != strconv.Itoa(pid) {
		logf("no socket handed on: LISTEN_PID is %q", got)
		return 1
	}
	ln, err := activation.Listen("tcp", "127.0.0.1:0") // the inherited one
	if err != nil {
		logf("%v", err)
		return 1
	}
	s := &testServer{pid: pid, label: *label, drain: make(chan struct{}), conns: map[net.Conn]http.ConnState{}}
	srv := &http.Server{Handler: s, ConnState: s.connState, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	if sent, err := sddaemon.SdNotify(false, sddaemon.SdNotifyReady); !sent {
		logf("READY=1 not sent: %v", err)
		return 1
	}
	logf("serving on %s", ln.Addr())
	select {
	case <-term:
	case err := <-served:
		logf("serve: %v", err)
		return 1
	case <-time.After(serverLifetime):
	}
	if *plainShutdown {
		ctx, cancel := context.WithTimeout(context.Background(), slowBound)
		defer cancel()
		s.mu.Lock()
		close(s.drain)
		s.mu.Unlock()
		_ = srv.Shutdown(ctx)
		logf("shut down")
		return 0
	}
	n := s.drainAll(srv, ln, served)
	logf("drained; served %d requests", n)
	return 0
}

// testServer is one copy of the test server.
type testServer struct {
	pid   int
	label string

	drain    chan struct{} // closed when the copy drains
	mu       sync.Mutex
	draining bool
	conns    map[net.Conn]http.ConnState
	served   int
}

func (s *testServer) connState(c net.Conn, st http.ConnState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st == http.StateClosed || st == http.StateHijacked {
		delete(s.conns, c)
		return
	}
	s.conns[c] = st
}

func (s *testServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.served++
	draining := s.draining
	s.mu.Unlock()
	h := w.Header()
	h.Set("X-Pid", strconv.Itoa(s.pid))
	h.Set("X-Label", s.label)
	h.Set("Content-Type", "text/plain")
	if draining {
		h.Set("Connection", "close") // the client opens its next connection to the new copy
	}
	switch {
	case r.URL.Path == "/" && (r.Method == http.MethodGet || r.Method == http.MethodPost):
		_, _ = io.Copy(io.Discard, r.Body)
		fmt.Fprintf(w, "pid=%d label=%s\n", s.pid, s.label)
	case r.URL.Path == "/slow" && r.Method == http.MethodGet:
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush() // the client knows which copy took it before any upgrade
		drained := false
		select {
		case <-s.drain:
			drained = true
		case <-time.After(slowBound):
		case <-r.Context().Done():
			return
		}
		fmt.Fprintf(w, "pid=%d label=%s drained=%t\n", s.pid, s.label, drained)
	default:
		http.NotFound(w, r)
	}
}

// drainAll stops accepting, lets every open connection leave (each is told Connection:
// close with its next answer; the slow requests are told to finish), bounded by idleBound,
// then shuts the server down, which waits for requests still running; it returns how many
// requests the copy served.
//
// It waits for Serve to return before it counts connections: a connection accepted just
// as the listener closed is tracked only then (http.Server.Shutdown alone does not wait
// for it, and may end the process under it).
func (s *testServer) drainAll(srv *http.Server, ln net.Listener, served <-chan error) int {
	s.mu.Lock()
	s.draining = true
	close(s.drain)
	s.mu.Unlock()
	_ = ln.Close() // this copy's descriptor only: the socket stays open for the others
	<-served
	end := time.Now().Add(idleBound)
	for time.Now().Before(end) {
		s.mu.Lock()
		left := len(s.conns)
		s.mu.Unlock()
		if left == 0 {
			break
		}
		time.Sleep(2 * time.Millisecond) // polling for a condition, with a bound
	}
	ctx, cancel := context.WithTimeout(context.Background(), slowBound)
	defer cancel()
	_ = srv.Shutdown(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.served
}
