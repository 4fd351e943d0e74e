package server_test

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

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/server"
)

// inProcess is a Run in a goroutine of the test process, in the foreground (no log file,
// no handshake).
type inProcess struct {
	opts   server.Options
	addr   string
	log    *server.SyncBuffer
	cancel context.CancelFunc
	done   chan error
}

// runInProcess starts Run and waits until its record names the bound address.
func runInProcess(t *testing.T, opts server.Options) *inProcess {
	t.Helper()
	opts.LogPath = "" // never dup onto the test's own stdout and stderr
	p := &inProcess{opts: opts, log: &server.SyncBuffer{}, done: make(chan error, 1)}
	log := hclog.New(&hclog.LoggerOptions{Level: hclog.Debug, Output: p.log})
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	go func() { p.done <- server.Run(ctx, opts, nil, log) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-p.done:
		case <-time.After(testDeadline):
			t.Error("Run did not return after cancel")
		}
	})
	waitUntil(t, "the record", func() bool {
		select {
		case err := <-p.done:
			t.Fatalf("Run returned early: %v\n%s", err, p.log)
		default:
		}
		r, err := instance.ReadRecord(opts.RecordPath)
		p.addr = r.Listen
		return err == nil
	})
	return p
}

// stop cancels the run and returns what Run returned.
func (p *inProcess) stop(t *testing.T) error {
	t.Helper()
	p.cancel()
	select {
	case err := <-p.done:
		p.done <- err // for the cleanup
		return err
	case <-time.After(testDeadline):
		t.Fatal("Run did not return after cancel")
	}
	return nil
}

// get does a request and returns the status and body.
func get(t *testing.T, method, url string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, url, err)
	}
	return resp.StatusCode, string(b)
}

func TestEndpoints(t *testing.T) {
	opts := testOptions(t)
	opts.Heartbeat = 5 * time.Millisecond
	p := runInProcess(t, opts)
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
		code, body := get(t, tc.method, base+tc.path)
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
	waitUntil(t, "two heartbeats counted by /status", func() bool {
		code, body := get(t, "GET", base+"/status")
		if code != 200 {
			t.Fatalf("GET /status = %d %q", code, body)
		}
		if err := json.Unmarshal([]byte(body), &st); err != nil {
			t.Fatalf("GET /status: %v: %q", err, body)
		}
		return st.Heartbeats >= 2
	})
	rec, err := instance.ReadRecord(opts.RecordPath)
	if err != nil {
		t.Fatal(err)
	}
	started, err := time.Parse(time.RFC3339, st.StartedAt)
	if err != nil {
		t.Errorf("started_at %q: %v", st.StartedAt, err)
	}
	if st.PID != os.Getpid() || st.Name != "t" || st.Strategy != "test" || st.Listen != p.addr ||
		st.UptimeSeconds <= 0 || !started.Equal(rec.StartedAt.Truncate(time.Second)) {
		t.Errorf("status = %+v; record %+v", st, rec)
	}
	if rec.PID != os.Getpid() || rec.Listen != p.addr || time.Since(rec.StartedAt) > time.Minute {
		t.Errorf("record = %+v", rec)
	}
	if !strings.Contains(p.log.String(), "heartbeat: count=1") {
		t.Errorf("no heartbeat line in the log:\n%s", p.log)
	}

	if err := p.stop(t); err != nil {
		t.Fatalf("Run = %v", err)
	}
	if exists(t, opts.PIDFile) || exists(t, opts.RecordPath) {
		t.Error("pidfile or record left behind")
	}
	for _, want := range []string{"started: pid=", "stopping:", "stopped:"} {
		if !strings.Contains(p.log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, p.log)
		}
	}
}

// TestDrainInProcess: a request in flight when the run is told to stop completes.
func TestDrainInProcess(t *testing.T) {
	opts := testOptions(t)
	p := runInProcess(t, opts)
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
	waitUntil(t, "the request in flight", func() bool { return strings.Contains(p.log.String(), "working") })
	if err := p.stop(t); err != nil {
		t.Fatalf("Run = %v", err)
	}
	// Run returned only after the drain: the answer is there already.
	select {
	case r := <-res:
		if r.code != 200 || r.body != "worked 300ms\n" {
			t.Errorf("request in flight got %d %q", r.code, r.body)
		}
	case <-time.After(testDeadline):
		t.Fatal("no answer to the request in flight")
	}
	if exists(t, opts.PIDFile) {
		t.Error("pidfile left behind")
	}
}
