package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
)

// maxWork caps how long one /work request takes.
const maxWork = time.Minute

// builtinConfig is what the built-in server shows about its instance.
type builtinConfig struct {
	Name      string
	Strategy  string
	Listen    string        // address to bind
	Heartbeat time.Duration // > 0
	StartedAt time.Time     // when the run started, as recorded
}

// builtin is the built-in workload: an HTTP server on a TCP listener and a heartbeat line
// in the log every Heartbeat.
type builtin struct {
	cfg        builtinConfig
	log        hclog.Logger
	srv        *http.Server
	listen     string
	heartbeats atomic.Int64
	done       chan error    // Serve failed on its own
	stopBeat   chan struct{} // closed by Shutdown
	beatDone   chan struct{} // closed when the heartbeat has stopped
	stopOnce   sync.Once
}

// newBuiltin makes the built-in server; Start binds and starts it.
func newBuiltin(cfg builtinConfig, log hclog.Logger) *builtin {
	return &builtin{
		cfg:      cfg,
		log:      log,
		done:     make(chan error, 1),
		stopBeat: make(chan struct{}),
		beatDone: make(chan struct{}),
	}
}

// Start binds the listener, then serves HTTP on it and starts the heartbeat. It is ready
// when it returns: connections are accepted from then on.
func (b *builtin) Start(context.Context) (string, error) {
	ln, err := net.Listen("tcp", b.cfg.Listen)
	if err != nil {
		return "", err // "listen tcp ADDR: bind: address already in use" names the step
	}
	b.listen = ln.Addr().String()
	b.srv = &http.Server{
		Handler:           b.routes(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      maxWork + 30*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          b.log.StandardLogger(&hclog.StandardLoggerOptions{ForceLevel: hclog.Warn}),
	}
	go b.beat()
	go func() {
		if err := b.srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			b.done <- fmt.Errorf("serve http on %s: %w", b.listen, err)
		}
	}()
	return b.listen, nil
}

// Shutdown stops accepting, lets requests in flight finish until ctx is done, then closes
// the connections that remain, and stops the heartbeat.
func (b *builtin) Shutdown(ctx context.Context) error {
	var err error
	if b.srv != nil {
		if err = b.srv.Shutdown(ctx); err != nil {
			err = fmt.Errorf("drain http: %w", err)
			if cerr := b.srv.Close(); cerr != nil {
				err = errors.Join(err, fmt.Errorf("close http connections: %w", cerr))
			}
		}
	}
	b.stopOnce.Do(func() { close(b.stopBeat) })
	if b.srv != nil { // the heartbeat was started
		<-b.beatDone
	}
	return err
}

// Done delivers the error that ended serving on its own.
func (b *builtin) Done() <-chan error { return b.done }

// beat logs a heartbeat line every Heartbeat until Shutdown.
func (b *builtin) beat() {
	defer close(b.beatDone)
	t := time.NewTicker(b.cfg.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-b.stopBeat:
			return
		case <-t.C:
			b.log.Info("heartbeat", "count", b.heartbeats.Add(1))
		}
	}
}
