package http1

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// ErrServerClosed is what Serve returns once Shutdown or Close has been called.
var ErrServerClosed = errors.New("http1: server closed")

// Handler answers one request. Its Reply is sent whole, with Content-Length; for HEAD the
// body is left out. The request's context says when the client has gone away.
type Handler func(req *Request) Reply

// Reply is one whole response.
type Reply struct {
	Status      int         // 200 if zero
	ContentType string      // none if empty
	Header      [][2]string // further header fields, e.g. {"Allow", "GET, HEAD"}
	Body        []byte
}

// Server serves HTTP/1.1 on the listeners given to Serve. Its zero value, with a Handler,
// is ready to use; the zero durations and sizes take the defaults given below.
type Server struct {
	Handler           Handler
	ReadHeaderTimeout time.Duration                 // for a client to send a request head; 5s if zero
	IdleTimeout       time.Duration                 // an idle keep-alive connection stays open; 2m if zero
	WriteTimeout      time.Duration                 // for writing one reply; 30s if zero
	MaxHeaderBytes    int                           // of a request head; 64 KiB if zero
	ErrorLog          func(msg string, args ...any) // accept errors and handler panics; nil: dropped

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[*conn]bool // true while the connection waits, idle, for its next request
	closing   bool
	draining  bool          // Drain: answers say Connection: close, and no listener accepts
	drained   chan struct{} // closed once closing or draining, no Serve runs and no connection is left
	ctx       context.Context
	cancel    context.CancelFunc
}

// testHookWatchRead, if set, runs when the watch of a connection has read a byte.
var testHookWatchRead func()

// conn is one client connection.
type conn struct {
	net.Conn
	pending   []byte    // read by the watch while the handler ran, before anything else
	idleSince time.Time // when it last went idle; guarded by Server.mu
	fresh     bool      // idle since its accept: no byte of a request yet; guarded by Server.mu
}

// Read hands out pending first.
func (c *conn) Read(p []byte) (int, error) {
	if len(c.pending) > 0 {
		n := copy(p, c.pending)
		c.pending = c.pending[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}

// Serve accepts connections on ln and serves each in its own goroutine until Shutdown or
// Close, when it returns ErrServerClosed; on another accept error it returns that error.
// Accept errors that pass (out of descriptors, a connection aborted before it was
// accepted) are logged and retried with a back-off, as net/http does.
func (s *Server) Serve(ln net.Listener) error {
	if !s.track(ln) {
		return ErrServerClosed
	}
	defer s.untrack(ln)
	var backoff time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			if s.isClosing() || s.isDraining() {
				return ErrServerClosed
			}
			if !passing(err) {
				return err
			}
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.logf("accept error; retrying", "error", err, "in", backoff)
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		cc := &conn{Conn: c}
		if !s.add(cc) {
			c.Close()
			return ErrServerClosed
		}
		go s.serveConn(cc)
	}
}

// passing: an accept error after which accepting again may succeed.
func passing(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	for _, e := range []syscall.Errno{syscall.EMFILE, syscall.ENFILE, syscall.ECONNABORTED, syscall.ENOBUFS, syscall.ENOMEM, syscall.EINTR} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// Shutdown stops accepting, closes idle connections, and waits until every request in
// flight has been answered and its connection closed, or ctx is done (then it returns
// ctx's error and leaves the rest to Close). Requests in flight keep their contexts. A
// connection accepted a moment ago whose client has sent nothing yet is answered if its
// request comes within drainRecent of its accept, and closed then if it has not: a client
// that connects and stays silent (a preconnect, a port check) never holds a stop up to
// ReadHeaderTimeout, nor past ctx.
func (s *Server) Shutdown(ctx context.Context) error {
	drained := s.stopAccepting(&s.closing, func(c *conn) bool { return !c.fresh || time.Since(c.idleSince) > drainRecent })
	select {
	case <-drained:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Drain is Shutdown for a server whose listening socket another process goes on accepting
// on (a new copy, after an upgrade): it stops accepting, answers every request from now
// on with "Connection: close", so that each client opens its next connection to the
// other process, and waits until its connections have gone so, or quiet has passed; then
// it shuts down as Shutdown does, until ctx is done. Shutdown alone closes idle
// connections at once, and a client that sends a request on one at that moment gets EOF
// or a reset; Drain leaves open those that were busy within the last drainRecent, whose
// clients are the likely ones to send again, and closes the rest at once, as Shutdown
// does, and each of the others once it has been idle drainRecent (or has gone idle since
// the drain began), so that an idle client never holds it up. A connection whose client
// has sent nothing since it connected counts as idle since its accept.
func (s *Server) Drain(ctx context.Context, quiet time.Duration) error {
	drained := s.stopAccepting(&s.draining, func(c *conn) bool { return time.Since(c.idleSince) > drainRecent })
	t := time.NewTimer(quiet)
	defer t.Stop()
	select {
	case <-drained:
	case <-t.C:
	case <-ctx.Done():
	}
	return s.Shutdown(ctx)
}

// stopAccepting sets the flag at state (closing or draining), closes the listeners and
// the idle connections that closeIdle picks, and returns the channel closed once no
// connection is left.
func (s *Server) stopAccepting(state *bool, closeIdle func(*conn) bool) <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	*state = true
	for ln := range s.listeners {
		ln.Close()
	}
	for c, idle := range s.conns {
		switch {
		case !idle:
		case closeIdle(c):
			c.Close()
		default:
			s.closeOnceLongIdle(c)
		}
	}
	s.checkDrained()
	return s.drained
}

// closeOnceLongIdle closes c, idle while the server drains, once it has been idle
// drainRecent, if it still is: a client that was busy a moment ago may send once more,
// but an idle one never holds the drain up for its whole quiet time. s.mu is held.
func (s *Server) closeOnceLongIdle(c *conn) {
	since := c.idleSince
	time.AfterFunc(drainRecent-time.Since(since), func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if idle, ok := s.conns[c]; ok && idle && c.idleSince.Equal(since) {
			c.Close()
		}
	})
}

// drainRecent is how recently a connection must have been busy for Drain to leave it open
// for its client's next request. A variable for tests.
var drainRecent = time.Second

// Close stops accepting, closes every connection and cancels every request's context.
func (s *Server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	s.closing = true
	s.cancel()
	for ln := range s.listeners {
		ln.Close()
	}
	for c := range s.conns {
		c.Close()
	}
	return nil
}

// serveConn answers requests on c until it closes, asks to close, errs or idles out.
func (s *Server) serveConn(c *conn) {
	defer s.remove(c)
	defer c.Close()
	br := bufio.NewReaderSize(c, 4096)
	bw := bufio.NewWriterSize(c.Conn, 4096)
	for first := true; ; first = false {
		if !s.awaitRequest(c, br, first) {
			return
		}
		if !first { // the first request's head is bounded from the accept on
			c.SetReadDeadline(time.Now().Add(orDefault(s.ReadHeaderTimeout, 5*time.Second)))
		}
		req, err := readRequest(br, orDefault(s.MaxHeaderBytes, 64<<10))
		if err != nil {
			var pe *protocolError
			if errors.As(err, &pe) {
				s.write(c, bw, nil, Reply{Status: pe.Status, ContentType: "text/plain; charset=utf-8", Body: []byte(pe.Error() + "\n")}, false)
			}
			return
		}
		c.SetReadDeadline(time.Time{})
		reply, open := s.answer(c, br, req)
		keep := req.keepAlive && open && !s.isClosing() && !s.isDraining()
		if err := s.write(c, bw, req, reply, keep); err != nil || !keep {
			return
		}
	}
}

// awaitRequest waits, with c marked idle, for the first byte of its next request (the
// first one: within ReadHeaderTimeout of the accept, which bounds its whole head; a later
// one: within IdleTimeout), so that a drain or a shutdown may close c meanwhile; it
// reports whether a byte came. A connection that has served a request is not waited on
// once the server is closing; one just accepted is, as Shutdown says.
func (s *Server) awaitRequest(c *conn, br *bufio.Reader, first bool) bool {
	if !s.setIdle(c, true, first) {
		return false
	}
	timeout := orDefault(s.IdleTimeout, 2*time.Minute)
	if first {
		timeout = orDefault(s.ReadHeaderTimeout, 5*time.Second)
	}
	c.SetReadDeadline(time.Now().Add(timeout))
	_, err := br.Peek(1)
	s.setIdle(c, false, false) // bytes came: answer them, even while shutting down
	return err == nil
}

// answer runs the handler while watching the connection, so that the request's context
// is cancelled if the client goes away; open is false if it did.
func (s *Server) answer(c *conn, br *bufio.Reader, req *Request) (reply Reply, open bool) {
	ctx, cancel := context.WithCancel(s.baseContext())
	defer cancel()
	req.ctx = ctx
	open = true
	var watched chan struct{}
	if br.Buffered() == 0 { // else the client sent more already: it is there
		watched = make(chan struct{})
		go func() {
			defer close(watched)
			var b [1]byte
			n, err := c.Conn.Read(b[:])
			if n == 1 {
				c.pending = append(c.pending, b[0])
				if testHookWatchRead != nil {
					testHookWatchRead()
				}
				return
			}
			var ne net.Error
			if err != nil && !(errors.As(err, &ne) && ne.Timeout()) {
				open = false
				cancel()
			}
		}()
	}
	reply = s.handle(req)
	if watched != nil {
		c.SetReadDeadline(time.Unix(1, 0)) // wakes the watch
		<-watched
		c.SetReadDeadline(time.Time{})
	}
	return reply, open
}

// handle runs the handler; a panic is logged and answered 500.
func (s *Server) handle(req *Request) (reply Reply) {
	defer func() {
		if p := recover(); p != nil {
			s.logf("handler panicked", "method", req.Method, "target", req.Target, "panic", fmt.Sprint(p))
			reply = Reply{Status: 500, ContentType: "text/plain; charset=utf-8", Body: []byte("internal error\n")}
		}
	}()
	return s.Handler(req)
}

// write sends reply whole. req is nil for an answer to a request that could not be read.
func (s *Server) write(c *conn, bw *bufio.Writer, req *Request, reply Reply, keep bool) error {
	c.SetWriteDeadline(time.Now().Add(orDefault(s.WriteTimeout, 30*time.Second)))
	status := orDefault(reply.Status, 200)
	bw.WriteString("HTTP/1.1 " + strconv.Itoa(status) + " " + statusText(status) + "\r\n")
	bw.WriteString("Date: " + time.Now().UTC().Format("Mon, 02 Jan 2006 15:04:05 GMT") + "\r\n")
	if reply.ContentType != "" {
		bw.WriteString("Content-Type: " + reply.ContentType + "\r\n")
	}
	for _, h := range reply.Header {
		bw.WriteString(h[0] + ": " + h[1] + "\r\n")
	}
	bw.WriteString("Content-Length: " + strconv.Itoa(len(reply.Body)) + "\r\n")
	switch {
	case !keep:
		bw.WriteString("Connection: close\r\n")
	case req.Proto == "HTTP/1.0":
		bw.WriteString("Connection: keep-alive\r\n")
	}
	bw.WriteString("\r\n")
	if req == nil || req.Method != "HEAD" {
		bw.Write(reply.Body)
	}
	return bw.Flush()
}

// init makes the maps and the base context on first use; s.mu is held.
func (s *Server) init() {
	if s.conns == nil {
		s.conns = map[*conn]bool{}
		s.listeners = map[net.Listener]struct{}{}
		s.drained = make(chan struct{})
		s.ctx, s.cancel = context.WithCancel(context.Background())
	}
}

func (s *Server) baseContext() context.Context {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	return s.ctx
}

func (s *Server) track(ln net.Listener) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	if s.closing || s.draining {
		return false
	}
	s.listeners[ln] = struct{}{}
	return true
}

func (s *Server) untrack(ln net.Listener) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.listeners, ln)
	s.checkDrained()
}

func (s *Server) add(c *conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.conns[c] = false
	return true
}

func (s *Server) remove(c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, c)
	s.checkDrained()
}

// setIdle marks c idle or busy (fresh: idle since its accept); marking it idle fails once
// the server is closing, unless it is fresh.
func (s *Server) setIdle(c *conn, idle, fresh bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if idle && !fresh && s.closing {
		return false
	}
	s.conns[c] = idle
	c.fresh = idle && fresh
	if idle {
		c.idleSince = time.Now()
		if s.draining || s.closing {
			s.closeOnceLongIdle(c) // it went idle after the drain began
		}
	}
	return true
}

// checkDrained closes drained once closing or draining with no connection left, nor a
// Serve that may still add the one it has just accepted; s.mu is held.
func (s *Server) checkDrained() {
	if (s.closing || s.draining) && len(s.conns) == 0 && len(s.listeners) == 0 {
		select {
		case <-s.drained:
		default:
			close(s.drained)
		}
	}
}

func (s *Server) isClosing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing
}

func (s *Server) isDraining() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.draining
}

func (s *Server) logf(msg string, args ...any) {
	if s.ErrorLog != nil {
		s.ErrorLog(msg, args...)
	}
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
