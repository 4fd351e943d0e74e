package httpdemo_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/daemonkit/daemonkit/httpdemo"
	"github.com/daemonkit/daemonkit/internal/testutil"
) // serving is the demo's Serve running in a goroutine of the test process.
type serving struct {
	addr   string
	log    *testutil.Buffer
	cancel context.CancelFunc
	done   chan error
}

// serve starts cfg.Serve and waits until it says ready.
func serve(t testing.TB, cfg httpdemo.Config) *serving {
	t.Helper()
	s := &serving{log: &testutil.Buffer{}, done: make(chan error, 1)}
	log := hclog.New(&hclog.LoggerOptions{Level: hclog.Debug, Output: s.log})
	ctx, cancel := context.WithCancel(hclog.WithContext(context.Background(), log))
	s.cancel = cancel
	ready := make(chan string, 1)
	go func() { s.done <- cfg.Serve(ctx, func(addr string) { ready <- addr }) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.done:
		case <-time.After(testutil.Deadline):
			t.Error("Serve did not return after cancel")
		}
	})
	select {
	case s.addr = <-ready:
	case err := <-s.done:
		t.Fatalf("Serve returned before ready: %v", err)
	case <-time.After(testutil.Deadline):
		t.Fatal("Serve never said ready")
	}
	return s
}

// stop cancels Serve's context and returns what Serve returned.
func (s *serving) stop(t *testing.T) error {
	t.Helper()
	s.cancel()
	select {
	case err := <-s.done:
		s.done <- err // for the cleanup
		return err
	case <-time.After(testutil.Deadline):
		t.Fatal("Serve did not return after cancel")
	}
	return nil
}

// testConfig is a demo on any free port with a fast heartbeat.
func testConfig() httpdemo.Config {
	return httpdemo.Config{Name: "t", Strategy: "test", Listen: "127.0.0.1:0", Heartbeat: 5 * time.Millisecond}
}

func TestEndpoints(t *testing.T) {
	before := time.Now()
	p := serve(t, testConfig())
	base := "http://" + p.addr

	for _, tc := range []struct {
		method, path string
		code         int
		body         string // prefix; "" checks nothing
	}{
		{"GET", "/healthz", 200, "ok\n"},
		{"HEAD", "/healthz", 200, ""},
		{"POST", "/healthz", 405, ""},
		{"DELETE", "/status", 405, ""},
		{"GET", "/nope", 404, ""},
		{"GET", "/healthz/x", 404, ""},
		{"GET", "/work?d=10ms", 200, "worked 10ms\n"},
		{"GET", "/work?d=0s", 200, "worked 0s\n"},
		{"GET", "/work?d=banana", 400, "want d=DURATION"},
		{"GET", "/work?d=-1s", 400, "want d=DURATION"},
		{"GET", "/work", 400, "want d=DURATION"},
		{"PUT", "/work?d=1ms", 405, ""},
	} {
		code, body := testutil.Get(t, tc.method, base+tc.path)
		if code != tc.code || !strings.HasPrefix(body, tc.body) {
			t.Errorf("%s %s = %d %q, want %d %q...", tc.method, tc.path, code, body, tc.code, tc.body)
		}
	}

	var st struct {
		PID           int     `json:"pid"`
		Name          string  `json:"name"`
		Strategy      string  `json:"strategy"`
		StartedAt     string  `json:"started_at"`
		UptimeSeconds float64 `json:"uptime_seconds"`
		Heartbeats    int64   `json:"heartbeats"`
		Listen        string  `json:"listen"`
	}
	testutil.WaitFor(t, "two heartbeats counted by /status", func() bool {
		code, body := testutil.Get(t, "GET", base+"/status")
		if code != 200 {
			t.Fatalf("GET /status = %d %q", code, body)
		}
		if err := json.Unmarshal([]byte(body), &st); err != nil {
			t.Fatalf("GET /status: %v: %q", err, body)
		}
		return st.Heartbeats >= 2
	})
	started, err := time.Parse(time.RFC3339, st.StartedAt)
	if err != nil {
		t.Errorf("started_at %q: %v", st.StartedAt, err)
	}
	if st.PID != os.Getpid() || st.Name != "t" || st.Strategy != "test" || st.Listen != p.addr ||
		st.UptimeSeconds <= 0 || started.Before(before.Truncate(time.Second)) || started.After(time.Now()) {
		t.Errorf("status = %+v", st)
	}
	if !strings.Contains(p.log.String(), "heartbeat: count=1") {
		t.Errorf("no heartbeat line in the log:\n%s", p.log)
	}

	if err := p.stop(t); err != nil {
		t.Fatalf("Serve = %v", err)
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("still serving after Serve returned")
	}
}

// TestDrain: a request in flight when Serve is told to stop completes.
func TestDrain(t *testing.T) {
	p := serve(t, testConfig())
	type result struct {
		code int
		body string
	}
	res := make(chan result, 1)
	go func() {
		resp, err := http.Get("http://" + p.addr + "/work?d=300ms")
		if err != nil {
			res <- result{body: err.Error()}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		res <- result{resp.StatusCode, string(b)}
	}()
	testutil.WaitFor(t, "the request in flight", func() bool { return strings.Contains(p.log.String(), "working") })
	if err := p.stop(t); err != nil {
		t.Fatalf("Serve = %v", err)
	}
	// Serve returned only after the drain: the answer is there already.
	select {
	case r := <-res:
		if r.code != 200 || r.body != "worked 300ms\n" {
			t.Errorf("request in flight got %d %q", r.code, r.body)
		}
	case <-time.After(testutil.Deadline):
		t.Fatal("no answer to the request in flight")
	}
}
