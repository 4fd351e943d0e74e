//go:build linux

package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// loadConns is how many keep-alive connections load keeps busy.
const loadConns = 2

// load sends GET requests to ADDR (HOST:PORT) for PATH on two keep-alive connections, one
// after another on each, as fast as they are answered (with GAP between two of one
// connection), until SIGTERM or SIGINT. It never retries: a request whose connection
// fails (refused, reset, closed before the whole answer) or whose answer is not 200 is a
// failure, printed on stderr as it happens. A connection whose answer says
// "Connection: close" is closed, and the next request opens a new one, as a client must.
// Every WINDOW it prints one line: the requests answered in it, the failures, and the
// median and p99 latency.
func load(args []string) {
	if len(args) != 4 {
		fail("usage: helper load HOST:PORT PATH GAP WINDOW")
	}
	gap, err1 := time.ParseDuration(args[2])
	window, err2 := time.ParseDuration(args[3])
	if err1 != nil || err2 != nil || window <= 0 {
		fail("GAP and WINDOW must be durations (WINDOW above 0)")
	}
	var stop atomic.Bool
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	go func() { <-sig; stop.Store(true) }()
	var st loadStats
	var wg sync.WaitGroup
	for range loadConns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &loadConn{addr: args[0], path: args[1]}
			for !stop.Load() {
				t0 := time.Now()
				if err := c.get(); err != nil {
					st.failed(err)
					continue
				}
				st.answered(time.Since(t0))
				time.Sleep(gap)
			}
			c.close()
		}()
	}
	for t := time.NewTicker(window); !stop.Load(); {
		select {
		case <-t.C:
			st.print()
		case <-time.After(50 * time.Millisecond):
		}
	}
	wg.Wait()
	st.print()
}

// loadConn is one keep-alive connection, opened again after a close.
type loadConn struct {
	addr, path string
	c          net.Conn
	r          *bufio.Reader
}

// get sends one request and reads its whole answer.
func (l *loadConn) get() error {
	if l.c == nil {
		c, err := net.Dial("tcp", l.addr)
		if err != nil {
			return err
		}
		l.c, l.r = c, bufio.NewReader(c)
	}
	resp, err := l.send()
	if err != nil || resp.Close {
		l.close()
	}
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: %s", l.path, resp.Status)
	}
	return err
}

func (l *loadConn) send() (*http.Response, error) {
	if _, err := io.WriteString(l.c, "GET "+l.path+" HTTP/1.1\r\nHost: "+l.addr+"\r\n\r\n"); err != nil {
		return nil, err
	}
	resp, err := http.ReadResponse(l.r, nil)
	if err != nil {
		return nil, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp, err
}

func (l *loadConn) close() {
	if l.c != nil {
		l.c.Close()
		l.c, l.r = nil, nil
	}
}

// loadStats counts one window's answers and failures.
type loadStats struct {
	mu        sync.Mutex
	latencies []time.Duration
	failures  int
}

func (s *loadStats) answered(d time.Duration) {
	s.mu.Lock()
	s.latencies = append(s.latencies, d)
	s.mu.Unlock()
}

func (s *loadStats) failed(err error) {
	fmt.Fprintf(os.Stderr, "%s load: %v\n", time.Now().UTC().Format("15:04:05.000"), err)
	s.mu.Lock()
	s.failures++
	s.mu.Unlock()
}

// print prints the window's line and starts the next window.
func (s *loadStats) print() {
	s.mu.Lock()
	l, f := s.latencies, s.failures
	s.latencies, s.failures = nil, 0
	s.mu.Unlock()
	slices.Sort(l)
	p50, p99 := time.Duration(0), time.Duration(0)
	if len(l) > 0 {
		p50, p99 = l[len(l)/2], l[len(l)*99/100]
	}
	fmt.Printf("%s answered=%d failed=%d p50_us=%d p99_us=%d\n", time.Now().UTC().Format("15:04:05"), len(l), f, p50.Microseconds(), p99.Microseconds())
}
