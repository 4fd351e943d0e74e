package http1_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/daemonkit/daemonkit/internal/http1"
	"github.com/daemonkit/daemonkit/internal/testutil"
)

// serve runs s on a fresh loopback port until the test ends; it returns the address and
// a channel with what Serve returned.
func serve(t *testing.T, s *http1.Server) (string, chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(ln) }()
	t.Cleanup(func() { s.Close() })
	return ln.Addr().String(), served
}

// echo answers with the method and target it got.
func echo(req *http1.Request) http1.Reply {
	return http1.Reply{ContentType: "text/plain", Body: []byte(req.Method + " " + req.URL.Path + " " + req.URL.Query().Get("q") + " " + req.Header.Get("X-Test") + "\n")}
}

// exchange writes raw on a fresh connection and returns everything the server sent
// until it closed the connection.
func exchange(t *testing.T, addr, raw string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(testutil.Deadline))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("reading the answer to %q: %v (got %q)", raw, err, b)
	}
	return string(b)
}

func TestServeKeepsConnectionsAlive(t *testing.T) {
	addr, _ := serve(t, &http1.Server{Handler: echo})
	var reused []bool
	trace := &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) { reused = append(reused, i.Reused) }}
	for i, method := range []string{"GET", "GET", "HEAD"} {
		req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), method, "http://"+addr+"/a/b?q=x%20y", nil)
		req.Header.Set("x-test", "h")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		want := "GET /a/b x y h\n"
		if method == "HEAD" {
			want = ""
			if resp.ContentLength != int64(len("HEAD /a/b x y h\n")) {
				t.Errorf("HEAD Content-Length = %d", resp.ContentLength)
			}
		}
		if resp.StatusCode != 200 || string(body) != want || resp.Header.Get("Content-Type") != "text/plain" || resp.Header.Get("Date") == "" {
			t.Errorf("request %d: %d %q %v", i, resp.StatusCode, body, resp.Header)
		}
	}
	if len(reused) != 3 || reused[0] || !reused[1] || !reused[2] {
		t.Errorf("connection reused: %v, want [false true true]", reused)
	}
}

func TestServeAnswersPipelinedRequestsInOrder(t *testing.T) {
	addr, _ := serve(t, &http1.Server{Handler: echo})
	got := exchange(t, addr, "GET /one HTTP/1.1\r\nHost: x\r\n\r\nGET /two HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	one, two := strings.Index(got, "GET /one"), strings.Index(got, "GET /two")
	if one < 0 || two < one || strings.Count(got, "HTTP/1.1 200 OK") != 2 || !strings.Contains(got, "Connection: close") {
		t.Errorf("pipelined answers:\n%s", got)
	}
}

func TestServeHTTP10ClosesUnlessAskedToKeepAlive(t *testing.T) {
	addr, _ := serve(t, &http1.Server{Handler: echo})
	if got := exchange(t, addr, "GET / HTTP/1.0\r\n\r\n"); !strings.Contains(got, "Connection: close") || !strings.HasSuffix(got, "GET /  \n") {
		t.Errorf("HTTP/1.0 answer:\n%s", got)
	}
	got := exchange(t, addr, "GET /1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /2 HTTP/1.0\r\n\r\n")
	if !strings.Contains(got, "Connection: keep-alive") || !strings.Contains(got, "GET /2") {
		t.Errorf("HTTP/1.0 keep-alive answers:\n%s", got)
	}
}

func TestServeRefusesWhatItDoesNotSpeak(t *testing.T) {
	addr, _ := serve(t, &http1.Server{Handler: echo, MaxHeaderBytes: 1024})
	for _, tc := range []struct{ raw, status string }{
		{"garbage\r\n\r\n", "400 Bad Request"},
		{"GET /\r\n\r\n", "400 Bad Request"},
		{"GET / HTTP/1.1\r\n\r\n", "400 Bad Request"}, // no Host
		{"GET / HTTP/1.1\r\nHost: x\r\nbad header\r\n\r\n", "400 Bad Request"},
		{"GET nopath HTTP/1.1\r\nHost: x\r\n\r\n", "400 Bad Request"},
		{"GET / HTTP/2.0\r\nHost: x\r\n\r\n", "505 HTTP Version Not Supported"},
		{"GET / HTTP/1.1\r\nHost: x\r\nX: " + strings.Repeat("a", 2000) + "\r\n\r\n", "431 Request Header Fields Too Large"},
		{"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc", "413 Content Too Large"},
		{"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", "400 Bad Request"},
		{"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "501 Not Implemented"},
	} {
		got := exchange(t, addr, tc.raw)
		if !strings.HasPrefix(got, "HTTP/1.1 "+tc.status+"\r\n") || !strings.Contains(got, "Connection: close") {
			t.Errorf("%q: got\n%s", tc.raw, got)
		}
	}
	// An empty body announced as such is no body.
	if got := exchange(t, addr, "GET /e HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"); !strings.HasPrefix(got, "HTTP/1.1 200 OK") {
		t.Errorf("Content-Length: 0: got\n%s", got)
	}
}

func TestServeAnswersAPanic500(t *testing.T) {
	var logged atomic.Int32
	addr, _ := serve(t, &http1.Server{
		Handler:  func(*http1.Request) http1.Reply { panic("boom") },
		ErrorLog: func(string, ...any) { logged.Add(1) },
	})
	if got := exchange(t, addr, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"); !strings.HasPrefix(got, "HTTP/1.1 500 ") {
		t.Errorf("got\n%s", got)
	}
	if logged.Load() != 1 {
		t.Errorf("panic logged %d times", logged.Load())
	}
}

func TestRequestContextEndsWhenClientGoesAway(t *testing.T) {
	gone := make(chan error, 1)
	started := make(chan struct{})
	addr, _ := serve(t, &http1.Server{Handler: func(req *http1.Request) http1.Reply {
		close(started)
		select {
		case <-req.Context().Done():
			gone <- req.Context().Err()
		case <-time.After(testutil.Deadline):
			gone <- errors.New("context never ended")
		}
		return http1.Reply{}
	}})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	<-started
	c.Close()
	if err := <-gone; !errors.Is(err, context.Canceled) {
		t.Errorf("handler's context: %v", err)
	}
}

func TestShutdownDrainsRequestsInFlightAndClosesIdleConnections(t *testing.T) {
	release := make(chan struct{})
	inFlight := make(chan struct{}, 1)
	s := &http1.Server{Handler: func(req *http1.Request) http1.Reply {
		if req.URL.Path == "/slow" {
			inFlight <- struct{}{}
			<-release
			if req.Context().Err() != nil {
				return http1.Reply{Status: 500}
			}
		}
		return http1.Reply{Body: []byte("done\n")}
	}}
	addr, served := serve(t, s)

	idle, err := net.Dial("tcp", addr) // answered once, then idle
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	io.WriteString(idle, "GET /fast HTTP/1.1\r\nHost: x\r\n\r\n")
	br := bufio.NewReader(idle)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("first answer: %v %v", resp, err)
	}
	io.ReadAll(resp.Body)

	slow := make(chan string, 1)
	go func() { slow <- exchange(t, addr, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n") }()
	<-inFlight
	shut := make(chan error, 1)
	go func() { shut <- s.Shutdown(context.Background()) }()

	idle.SetReadDeadline(time.Now().Add(testutil.Deadline))
	if _, err := br.ReadByte(); err != io.EOF {
		t.Errorf("idle connection: read %v, want EOF", err)
	}
	if err := <-served; !errors.Is(err, http1.ErrServerClosed) {
		t.Errorf("Serve = %v", err)
	}
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Error("still accepting after Shutdown")
	}
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned %v with a request in flight", err)
	default:
	}
	close(release)
	if got := <-slow; !strings.HasPrefix(got, "HTTP/1.1 200 OK") || !strings.Contains(got, "Connection: close") || !strings.HasSuffix(got, "done\n") {
		t.Errorf("request in flight got\n%s", got)
	}
	if err := <-shut; err != nil {
		t.Errorf("Shutdown = %v", err)
	}
}

func TestShutdownGivesUpAtItsDeadlineAndCloseCancels(t *testing.T) {
	ended := make(chan error, 1)
	started := make(chan struct{})
	s := &http1.Server{Handler: func(req *http1.Request) http1.Reply {
		close(started)
		<-req.Context().Done()
		ended <- req.Context().Err()
		return http1.Reply{}
	}}
	addr, _ := serve(t, s)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	<-started
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Shutdown(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Shutdown past its deadline = %v", err)
	}
	s.Close()
	if err := <-ended; !errors.Is(err, context.Canceled) {
		t.Errorf("handler's context after Close: %v", err)
	}
}

func TestGet(t *testing.T) {
	var auth atomic.Value
	addr, _ := serve(t, &http1.Server{Handler: func(req *http1.Request) http1.Reply {
		auth.Store(req.Header.Get("Authorization"))
		if req.URL.Path == "/missing" {
			return http1.Reply{Status: 404}
		}
		return http1.Reply{Body: []byte("ok\n")}
	}})
	ctx := context.Background()
	if code, err := http1.Get(ctx, "http://"+addr+"/healthz?x=1"); code != 200 || err != nil {
		t.Errorf("Get = %d, %v", code, err)
	}
	if code, err := http1.Get(ctx, "http://u:p@"+addr+"/missing"); code != 404 || err != nil || auth.Load() != "Basic dTpw" {
		t.Errorf("Get = %d, %v; Authorization %q", code, err, auth.Load())
	}
	for _, u := range []string{"https://" + addr + "/", "ftp://x/", "http:///nohost", "::"} {
		if _, err := http1.Get(ctx, u); err == nil || !strings.HasPrefix(err.Error(), "Get ") {
			t.Errorf("Get %q = %v, want an error naming it", u, err)
		}
	}

	// A closed port, and a server that never answers.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	silent := ln.Addr().String()
	defer ln.Close()
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	closedAddr := closed.Addr().String()
	closed.Close()
	if _, err := http1.Get(ctx, "http://"+closedAddr+"/"); err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("Get of a closed port = %v", err)
	}
	tctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := http1.Get(tctx, "http://"+silent+"/"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Get of a silent server = %v, want the deadline", err)
	}
}

// TestServeKeepsWhatArrivesWhileTheHandlerRuns: a request sent while the one before is
// being answered is read whole, its first byte included (the watch for a client going
// away reads it).
func TestServeKeepsWhatArrivesWhileTheHandlerRuns(t *testing.T) {
	started := make(chan struct{}, 2)
	release := make(chan struct{})
	watched := make(chan struct{}, 1)
	http1.SetWatchReadHook(t, func() { watched <- struct{}{} })
	addr, _ := serve(t, &http1.Server{Handler: func(req *http1.Request) http1.Reply {
		if req.URL.Path == "/first" {
			started <- struct{}{}
			<-release
		}
		return echo(req)
	}})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(testutil.Deadline))
	io.WriteString(c, "GET /first HTTP/1.1\r\nHost: x\r\n\r\n")
	<-started
	io.WriteString(c, "GET /second HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	<-watched // the watch has its first byte
	close(release)
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	if one, two := strings.Index(string(got), "GET /first"), strings.Index(string(got), "GET /second"); one < 0 || two < one {
		t.Errorf("answers:\n%s", got)
	}
}

// dial opens a connection to addr, bounded by testutil.Deadline, closed when the test ends.
func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(testutil.Deadline))
	return c
}

// keptAlive opens a connection to addr, has one request answered on it, and returns it
// kept alive, idle, with its reader; it is closed when the test ends.
func keptAlive(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c := dial(t, addr)
	br := bufio.NewReader(c)
	io.WriteString(c, "GET /one HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 200 || resp.Close {
		t.Fatalf("first answer: %v %v", resp, err)
	}
	io.ReadAll(resp.Body)
	return c, br
}

// TestDrainAnswersIdleConnectionsOnceWithClose: Drain leaves an idle keep-alive connection
// open, so that a request its client sends on it meanwhile (the moment Shutdown alone
// would close it under the client) is answered, with "Connection: close", and returns
// once that connection has gone, well before its quiet time.
func TestDrainAnswersIdleConnectionsOnceWithClose(t *testing.T) {
	http1.SetDrainRecent(t, testutil.Deadline) // however slow this machine, the connection was busy just now
	s := &http1.Server{Handler: echo}
	addr, served := serve(t, s)
	idle, br := keptAlive(t, addr)

	drained := make(chan error, 1)
	go func() { drained <- s.Drain(context.Background(), testutil.Deadline) }()
	if err := <-served; !errors.Is(err, http1.ErrServerClosed) {
		t.Errorf("Serve = %v", err)
	}
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Error("still accepting while draining")
	}
	io.WriteString(idle, "GET /two HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 200 || !resp.Close {
		t.Fatalf("answer on the idle connection while draining: %v %v; want 200 with Connection: close", resp, err)
	}
	if body, _ := io.ReadAll(resp.Body); string(body) != "GET /two  \n" {
		t.Errorf("body %q", body)
	}
	if _, err := br.ReadByte(); err != io.EOF {
		t.Errorf("after the answer: read %v, want EOF", err)
	}
	if err := <-drained; err != nil {
		t.Errorf("Drain = %v", err)
	}
}

// TestDrainClosesIdleConnections: an idle connection holds no drain up to its quiet time
// (one held every stop of a --socket server so): one idle for longer than Drain's
// "recently busy" is closed at once, and one busy a moment before the drain (or going
// idle just after it began) is left open for its client's next request, but closed once
// it has been idle that long (it held the drain now and then, when the drain began
// between a response and the connection's going idle).
func TestDrainClosesIdleConnections(t *testing.T) {
	for _, recent := range []time.Duration{0, 200 * time.Millisecond} {
		t.Run(recent.String(), func(t *testing.T) {
			http1.SetDrainRecent(t, recent)
			s := &http1.Server{Handler: echo}
			addr, _ := serve(t, s)
			_, br := keptAlive(t, addr)
			quiet := testutil.Deadline
			began := time.Now()
			if err := s.Drain(context.Background(), quiet); err != nil || time.Since(began) >= quiet {
				t.Fatalf("Drain = %v after %v: it waited out its quiet time for an idle connection", err, time.Since(began))
			}
			if _, err := br.ReadByte(); err != io.EOF {
				t.Errorf("the idle connection: read %v, want EOF", err)
			}
		})
	}
}

// accepted dials addr and returns a connection that has sent nothing, once s has accepted
// it: Serve accepts in order, so a request answered on a second connection proves it.
func accepted(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c := dial(t, addr)
	keptAlive(t, addr)
	return c, bufio.NewReader(c)
}

// TestDrainAndShutdownCloseASilentConnection: a connection whose client connected and
// sent nothing (a browser's preconnect, a port check) held every drain and stop up to
// ReadHeaderTimeout (5s in the built-in server), and past a shorter --shutdown-timeout,
// when the old copy exited 1 and upgrade said requests may have been cut off. It is
// closed once silent drainRecent since its accept.
func TestDrainAndShutdownCloseASilentConnection(t *testing.T) {
	stops := map[string]func(*http1.Server, context.Context) error{
		"Drain":    func(s *http1.Server, ctx context.Context) error { return s.Drain(ctx, testutil.Deadline) },
		"Shutdown": (*http1.Server).Shutdown,
	}
	for name, stop := range stops {
		t.Run(name, func(t *testing.T) {
			http1.SetDrainRecent(t, 50*time.Millisecond)
			s := &http1.Server{Handler: echo, ReadHeaderTimeout: 2 * testutil.Deadline}
			addr, _ := serve(t, s)
			_, br := accepted(t, addr)
			ctx, cancel := context.WithTimeout(context.Background(), testutil.Deadline)
			defer cancel()
			if err := stop(s, ctx); err != nil {
				t.Fatalf("%s = %v: a connection that sent nothing held it up", name, err)
			}
			if _, err := br.ReadByte(); err != io.EOF {
				t.Errorf("the silent connection: read %v, want EOF", err)
			}
		})
	}
}

// TestShutdownAnswersAConnectionJustAccepted: a client whose request comes a moment after
// its connection was accepted is answered during a stop, not closed under.
func TestShutdownAnswersAConnectionJustAccepted(t *testing.T) {
	http1.SetDrainRecent(t, testutil.Deadline)
	s := &http1.Server{Handler: echo}
	addr, _ := serve(t, s)
	c, br := accepted(t, addr)
	shut := make(chan error, 1)
	go func() { shut <- s.Shutdown(context.Background()) }()
	testutil.WaitFor(t, "the listener to close", func() bool {
		d, err := net.Dial("tcp", addr)
		if err == nil {
			d.Close()
		}
		return err != nil
	})
	io.WriteString(c, "GET /late HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 200 || !resp.Close {
		t.Fatalf("answer to a request sent just after the stop: %v %v; want 200 with Connection: close", resp, err)
	}
	io.ReadAll(resp.Body)
	if err := <-shut; err != nil {
		t.Errorf("Shutdown = %v", err)
	}
}
