//go:build linux

package upgradetest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/daemonkit/daemonkit/internal/testutil"
)

// The kinds of client of a load.
const (
	newConn       = "new connection per request (GET)"
	keepAliveGet  = "keep-alive GET (Go's client: retries on a closed idle connection)"
	keepAlivePost = "keep-alive POST (never retried)"
)

// loadConfig is a steady, bounded load: each client sends one request, waits interval,
// and sends the next, until the load is stopped, or it has sent maxPerClient, or
// maxDuration has passed.
type loadConfig struct {
	addr                                 string // HOST:PORT
	newConn, keepAliveGet, keepAlivePost int    // how many clients of each kind
	interval                             time.Duration
	maxPerClient                         int
	maxDuration                          time.Duration
}

// kindStats counts one kind's requests.
type kindStats struct {
	sent, ok, failed int
	retried          int // the client sent it again on a new connection (Go's transport does, for a GET on a reused connection the server closed)
	byCause          map[string]int
}

// load is a running load.
type load struct {
	cfg    loadConfig
	stopCh chan struct{}
	wg     sync.WaitGroup

	mu       sync.Mutex
	kinds    map[string]*kindStats
	byPID    map[int]int
	failures []string // the first few, in full
}

// startLoad starts cfg's clients.
func startLoad(t *testing.T, cfg loadConfig) *load {
	l := &load{cfg: cfg, stopCh: make(chan struct{}), kinds: map[string]*kindStats{}, byPID: map[int]int{}}
	clients := map[string]int{newConn: cfg.newConn, keepAliveGet: cfg.keepAliveGet, keepAlivePost: cfg.keepAlivePost}
	// Every kind is counted before any client runs: a client reads l.kinds under l.mu, and
	// an entry added beside it would race with that read.
	for kind := range clients {
		l.kinds[kind] = &kindStats{byCause: map[string]int{}}
	}
	for kind, n := range clients {
		for range n {
			l.wg.Add(1)
			go l.client(kind)
		}
	}
	t.Cleanup(l.stop) // bounded anyway; stopped even if the test fails first
	return l
}

// stop stops the clients and waits for them.
func (l *load) stop() {
	select {
	case <-l.stopCh:
	default:
		close(l.stopCh)
	}
	l.wg.Wait()
}

// client is one client: its own transport, so a keep-alive client has its own connection.
func (l *load) client(kind string) {
	defer l.wg.Done()
	tr := &http.Transport{
		// Keep-alive clients keep one connection; a new-connection client asks the server to
		// close each (Connection: close), so no request is ever sent on a reused connection
		// and nothing can be retried quietly.
		DisableKeepAlives:   kind == newConn,
		MaxIdleConnsPerHost: 1,
		IdleConnTimeout:     time.Minute,
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
	}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	end := time.Now().Add(l.cfg.maxDuration)
	tick := time.NewTicker(l.cfg.interval)
	defer tick.Stop()
	for i := 0; i < l.cfg.maxPerClient && time.Now().Before(end); i++ {
		pid, retried, err := l.request(c, kind)
		l.count(kind, pid, retried, err)
		select {
		case <-l.stopCh:
			return
		case <-tick.C:
		}
	}
}

// request sends one request of the kind and checks its answer: 200, and a body that names
// the pid the headers name.
func (l *load) request(c *http.Client, kind string) (pid int, retried bool, err error) {
	method, body := http.MethodGet, io.Reader(nil)
	if kind == keepAlivePost {
		method, body = http.MethodPost, strings.NewReader("payload")
	}
	req, err := http.NewRequest(method, "http://"+l.cfg.addr+"/", body)
	if err != nil {
		return 0, false, err
	}
	req.GetBody = nil // a POST is never sent again, even when nothing of it was written: every error shows
	conns := 0
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
		GotConn: func(httptrace.GotConnInfo) { conns++ },
	}))
	resp, err := c.Do(req)
	retried = conns > 1
	if err != nil {
		return 0, retried, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, retried, err
	}
	return checkAnswer(resp, b, retried)
}

var answerRE = regexp.MustCompile(`(?m)^pid=(\d+) label=(\S*)`)

// checkAnswer checks a 200 whose body names the pid of its X-Pid header.
func checkAnswer(resp *http.Response, body []byte, retried bool) (int, bool, error) {
	if resp.StatusCode != http.StatusOK {
		return 0, retried, fmt.Errorf("status %s", resp.Status)
	}
	m := answerRE.FindSubmatch(body)
	pid, _ := strconv.Atoi(resp.Header.Get("X-Pid"))
	if m == nil || string(m[1]) != strconv.Itoa(pid) || pid == 0 {
		return 0, retried, fmt.Errorf("bad answer: X-Pid %q, body %q", resp.Header.Get("X-Pid"), body)
	}
	return pid, retried, nil
}

func (l *load) count(kind string, pid int, retried bool, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := l.kinds[kind]
	k.sent++
	if retried {
		k.retried++
	}
	if err != nil {
		k.failed++
		k.byCause[cause(err)]++
		if len(l.failures) < 10 {
			l.failures = append(l.failures, fmt.Sprintf("%s: %v", kind, err))
		}
		return
	}
	k.ok++
	l.byPID[pid]++
}

// cause sorts an error: refused, reset, EOF, timeout or other.
func cause(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "reset"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "closed (EOF)"
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	}
	return "other"
}

// okCount is how many requests have been answered so far.
func (l *load) okCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, k := range l.kinds {
		n += k.ok
	}
	return n
}

// waitProgress waits until n more requests have been answered: the load flows.
func (l *load) waitProgress(t *testing.T, n int) {
	t.Helper()
	from := l.okCount()
	testutil.WaitFor(t, fmt.Sprintf("%d more answered requests", n), func() bool { return l.okCount() >= from+n })
}

// totals are the load's counts, summed over the kinds.
func (l *load) totals() (sent, ok, failed, retried int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range l.kinds {
		sent += k.sent
		ok += k.ok
		failed += k.failed
		retried += k.retried
	}
	return
}

// report says what the load saw, one kind a line, then the copies that answered.
func (l *load) report() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var b strings.Builder
	kinds := make([]string, 0, len(l.kinds))
	for kind := range l.kinds {
		kinds = append(kinds, kind)
	}
	sort.Strings(kinds)
	for _, kind := range kinds {
		k := l.kinds[kind]
		fmt.Fprintf(&b, "  %-70s sent %6d  ok %6d  failed %5d  retried %4d", kind, k.sent, k.ok, k.failed, k.retried)
		if len(k.byCause) > 0 {
			fmt.Fprintf(&b, "  %v", k.byCause)
		}
		b.WriteByte('\n')
	}
	pids := make([]int, 0, len(l.byPID))
	for pid := range l.byPID {
		pids = append(pids, pid)
	}
	sort.Ints(pids)
	b.WriteString("  answered by:")
	for _, pid := range pids {
		fmt.Fprintf(&b, " %d (%d)", pid, l.byPID[pid])
	}
	b.WriteByte('\n')
	for _, f := range l.failures {
		fmt.Fprintf(&b, "  failure: %s\n", f)
	}
	return b.String()
}

// pids are the pids that answered.
func (l *load) pids() map[int]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[int]int, len(l.byPID))
	for pid, n := range l.byPID {
		out[pid] = n
	}
	return out
}

// slowRequest is a slow request in flight: the copy that took it (its headers came back
// at once), and, once it ends, its answer.
type slowRequest struct {
	pid  int // X-Pid: the copy that accepted it
	done chan slowResult
}

type slowResult struct {
	pid     int // the pid its body names: the copy that finished it
	drained bool
	err     error
}

// sendSlow sends n slow requests, each on a connection of its own, and returns once each
// has its headers: each is in a handler of the copy that accepted it.
func sendSlow(t *testing.T, addr string, n int) []*slowRequest {
	t.Helper()
	var out []*slowRequest
	for range n {
		tr := &http.Transport{DisableKeepAlives: true}
		c := &http.Client{Transport: tr, Timeout: 2 * slowBound}
		ctx, cancel := context.WithTimeout(context.Background(), 2*slowBound)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/slow", nil)
		resp, err := c.Do(req)
		if err != nil {
			cancel()
			t.Fatalf("slow request: %v", err)
		}
		pid, _ := strconv.Atoi(resp.Header.Get("X-Pid"))
		sr := &slowRequest{pid: pid, done: make(chan slowResult, 1)}
		go func() {
			defer cancel()
			defer resp.Body.Close()
			sr.done <- readSlow(resp)
		}()
		out = append(out, sr)
	}
	return out
}

var slowRE = regexp.MustCompile(`(?m)^pid=(\d+) label=\S* drained=(true|false)$`)

// readSlow reads a slow answer to its end.
func readSlow(resp *http.Response) slowResult {
	if resp.StatusCode != http.StatusOK {
		return slowResult{err: fmt.Errorf("status %s", resp.Status)}
	}
	var last string
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		last = sc.Text()
	}
	if err := sc.Err(); err != nil {
		return slowResult{err: err}
	}
	m := slowRE.FindStringSubmatch(last)
	if m == nil {
		return slowResult{err: fmt.Errorf("bad slow answer %q", last)}
	}
	pid, _ := strconv.Atoi(m[1])
	return slowResult{pid: pid, drained: m[2] == "true"}
}

// wait waits for the slow request's answer, with a deadline.
func (sr *slowRequest) wait(t *testing.T) slowResult {
	t.Helper()
	return testutil.Receive(t, sr.done, fmt.Sprintf("the slow request to pid %d to be answered", sr.pid))
}

// hostEnv is os.Environ for the processes a test starts: -race binaries exit at once.
func hostEnv(extra ...string) []string { return testutil.Environ(extra...) }
