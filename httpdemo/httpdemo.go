// Package httpdemo is daemonkit's built-in workload, the demo HTTP server: GET /healthz,
// GET /status (who it is, how long it has run), GET /work?d=DURATION (a slow request that
// makes a graceful drain visible), and a heartbeat line in the log every Heartbeat. It is
// written as an embedding program writes its own serve function: it honours its context
// and says when it is ready.
package httpdemo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/daemonkit/daemonkit/activation"
	"github.com/daemonkit/daemonkit/internal/http1"
	"github.com/daemonkit/daemonkit/server"
)

// maxWork caps how long one /work request takes.
const maxWork = time.Minute

// Config is what the built-in server serves and shows about its instance.
type Config struct {
	Name            string        // shown by /status
	Strategy        string        // shown by /status; "" in the foreground
	Listen          string        // address to bind, e.g. "127.0.0.1:0"
	Heartbeat       time.Duration // a heartbeat line this often; 1s if zero
	ShutdownTimeout time.Duration // how long requests in flight may finish on a stop; 10s if zero
}

// MinHeartbeat is the shortest heartbeat a user may ask for (daemonkit's --heartbeat): a
// shorter one is a busy loop (1ns wrote tens of thousands of lines a second). Tests fill
// logs with a few milliseconds. Serve itself takes any positive Heartbeat.
const MinHeartbeat = time.Millisecond

// Serve binds cfg.Listen (or serves every socket it inherited: start --socket, repeated),
// says ready with the (first) address, and serves until ctx is
// cancelled; then it stops accepting, lets requests in flight finish for up to
// ShutdownTimeout, closes what remains and returns. It logs to the logger in ctx.
func (cfg Config) Serve(ctx context.Context, ready server.ReadyFunc) error {
	log := hclog.FromContext(ctx)
	ln, err := activation.Listen("tcp", cfg.Listen) // an inherited socket (start --socket), if any
	if err != nil {
		return err // "listen tcp ADDR: bind: address already in use" names the step
	}
	s := &demo{cfg: cfg, log: log, listen: ln.Addr().String(), startedAt: time.Now()}
	srv := &http1.Server{
		Handler:           s.route,
		ReadHeaderTimeout: 5 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          log.Warn,
	}
	lns := append([]net.Listener{ln}, activation.Remaining()...)
	served := make(chan error, len(lns))
	for _, ln := range lns {
		go func() { served <- srv.Serve(ln) }()
	}
	ready(s.listen)

	beating, stopBeat := context.WithCancel(ctx)
	defer stopBeat()
	go s.beat(beating, cmpDuration(cfg.Heartbeat, time.Second))
	select {
	case err := <-served:
		return fmt.Errorf("serve http on %s: %w", s.listen, err)
	case <-ctx.Done():
		return s.drain(srv, cmpDuration(cfg.ShutdownTimeout, 10*time.Second), activation.Inherited())
	}
}

// beat logs a heartbeat every period until ctx is done, beside Serve: a log line blocked
// behind a reader that stopped reading (or a frozen disk) holds up the next beat, never
// the stop.
func (s *demo) beat(ctx context.Context, period time.Duration) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			s.log.Info("heartbeat", "count", s.heartbeats.Add(1))
		case <-ctx.Done():
			return
		}
	}
}

// drainQuiet bounds how long a copy on shared sockets waits for its keep-alive clients to
// leave (http1.Server.Drain).
const drainQuiet = 5 * time.Second

// drain stops accepting, lets requests in flight finish until timeout, then closes the
// connections that remain. On shared sockets (shared: inherited from a supervisor, whose
// next copy serves them after an upgrade) it first tells each keep-alive client busy a
// moment ago, with its next answer, to connect again, which then reaches the next copy,
// and waits for them (up to drainQuiet, and half of timeout): closed under them, a request
// sent at that moment would be lost. An idle client is closed at once, and holds no stop up.
func (s *demo) drain(srv *http1.Server, timeout time.Duration, shared bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var err error
	if shared {
		err = srv.Drain(ctx, min(drainQuiet, timeout/2)) // half the time left for the requests in flight
	} else {
		err = srv.Shutdown(ctx)
	}
	if err != nil {
		return errors.Join(fmt.Errorf("drain http: %w", err), srv.Close())
	}
	return nil
}

// demo is one run of the server.
type demo struct {
	cfg        Config
	log        hclog.Logger
	listen     string
	startedAt  time.Time
	heartbeats atomic.Int64
}

func cmpDuration(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}
