package server_test

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/internal/testutil"
	"github.com/daemonkit/daemonkit/pidfile"
	"github.com/daemonkit/daemonkit/server"
)

// TestDaemonLifecycle: pid, then ready with the bound address; the pidfile is held, the
// record written; SIGTERM stops it with exit 0 and nothing left behind.
func TestDaemonLifecycle(t *testing.T) {
	opts := testOptions(t)
	d := startDaemon(t, helperCfg{Options: opts}, false)
	addr := d.ready(t)

	st, err := pidfile.Probe(opts.PIDFile)
	if err != nil || st.State != pidfile.Running || st.PID != d.pid {
		t.Errorf("pidfile: %+v, %v; want held by %d", st, err, d.pid)
	}
	rec, err := instance.ReadRecord(opts.RecordPath)
	if err != nil || rec.PID != d.pid || rec.Listen != addr || rec.Name != "t" || rec.StartedAt.IsZero() {
		t.Errorf("record = %+v, %v", rec, err)
	}
	if code, body := testutil.Get(t, "GET", "http://"+addr+"/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("healthz = %d %q", code, body)
	}
	if !strings.Contains(d.log(), "started: pid=") {
		t.Errorf("no started line:\n%s", d.log())
	}

	d.signal(t, syscall.SIGTERM)
	if code := d.wait(t); code != 0 {
		t.Errorf("exit %d, want 0; log:\n%s", code, d.log())
	}
	if exists(t, opts.PIDFile) || !recordStopped(t, opts.RecordPath) {
		t.Error("pidfile left behind, or record not kept and marked stopped")
	}
	if !strings.Contains(d.log(), "stopped:") {
		t.Errorf("no stopped line:\n%s", d.log())
	}
}

// TestAlreadyRunning: a second daemon on the same pidfile names the holder, exits 3 and
// changes nothing: not the log, not the pidfile, not the record.
func TestAlreadyRunning(t *testing.T) {
	opts := testOptions(t)
	first := startDaemon(t, helperCfg{Options: opts}, false)
	addr := first.ready(t)
	recBefore := readFile(opts.RecordPath)

	second := startDaemon(t, helperCfg{Options: opts}, false)
	r, ok := second.next(t)
	if !ok || r.PID != second.pid {
		t.Fatalf("first report %+v, want pid %d", r, second.pid)
	}
	r, ok = second.next(t)
	if !ok || r.Running != first.pid || r.Ready || r.Error != "" {
		t.Fatalf("second report %+v, want running=%d", r, first.pid)
	}
	if code := second.wait(t); code != 3 {
		t.Errorf("second exit %d, want 3", code)
	}
	// The two share the log: only the first daemon's start and heartbeats may be in it.
	for _, line := range strings.Split(first.log(), "\n") {
		if line != "" && !strings.Contains(line, "heartbeat: count=") && !strings.Contains(line, "started: pid="+strconv.Itoa(first.pid)) {
			t.Errorf("unexpected log line %q", line)
		}
	}
	if readFile(opts.RecordPath) != recBefore {
		t.Error("record changed")
	}
	st, err := pidfile.Probe(opts.PIDFile)
	if err != nil || st.State != pidfile.Running || st.PID != first.pid || st.FilePID != first.pid {
		t.Errorf("pidfile: %+v, %v", st, err)
	}
	if code, _ := testutil.Get(t, "GET", "http://"+addr+"/healthz"); code != 200 {
		t.Errorf("first daemon unhealthy: %d", code)
	}
}

// TestAddressInUse: the error is reported, and the pidfile is not left behind.
func TestAddressInUse(t *testing.T) {
	first := startDaemon(t, helperCfg{Options: testOptions(t)}, false)
	addr := first.ready(t)

	opts := testOptions(t)
	cfg := helperCfg{Options: opts, Demo: demo()}
	cfg.Demo.Listen = addr
	d := startDaemon(t, cfg, false)
	if r, ok := d.next(t); !ok || r.PID != d.pid {
		t.Fatalf("first report %+v", r)
	}
	r, ok := d.next(t)
	if !ok || !strings.Contains(r.Error, "address already in use") || r.Ready {
		t.Fatalf("second report %+v, want the bind error", r)
	}
	if code := d.wait(t); code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if exists(t, opts.PIDFile) || exists(t, opts.RecordPath) {
		t.Error("pidfile or record left behind")
	}
}

// TestStopWhileStarting: a SIGTERM sent the moment the pid is known is not lost: the
// daemon tells its launcher it is stopping and how long its drain may take (so that the
// launcher does not kill it at its ready deadline), drains, and says the start was called off.
func TestStopWhileStarting(t *testing.T) {
	opts := testOptions(t)
	d := startDaemon(t, helperCfg{Options: opts, Mode: "never"}, false)
	r, ok := d.next(t)
	if !ok || r.PID != d.pid {
		t.Fatalf("first report %+v", r)
	}
	d.signal(t, syscall.SIGTERM)
	r, ok = d.next(t)
	if want := opts.ShutdownTimeout + server.KillGrace + server.ReadyGrace; !ok || r.Stopping != "stopped by SIGTERM" || r.Extend != want {
		t.Errorf("second report %+v, want stopping by SIGTERM within %v", r, want)
	}
	r, ok = d.next(t)
	if want := "stopped by SIGTERM before it was ready"; !ok || r.Ready || r.Error != want {
		t.Errorf("second report %+v, want the error %q", r, want)
	}
	if code := d.wait(t); code != 1 {
		t.Errorf("exit %d, want 1; log:\n%s", code, d.log())
	}
	if exists(t, opts.PIDFile) || exists(t, opts.RecordPath) {
		t.Error("pidfile or record left behind")
	}
}

// TestReadyThenDies: a workload that says ready and returns at once was ready: the start
// succeeds every time (the runtime saw both at once, and used to pick one at random), and
// the record keeps why it ended, not a clean "stopped".
func TestReadyThenDies(t *testing.T) {
	for range 20 {
		opts := testOptions(t)
		d := startDaemon(t, helperCfg{Options: opts, Mode: "readydies"}, false)
		if r, ok := d.next(t); !ok || r.PID != d.pid {
			t.Fatalf("first report %+v", r)
		}
		if r, ok := d.next(t); !ok || !r.Ready {
			t.Fatalf("second report %+v, want ready; log:\n%s", r, d.log())
		}
		if code := d.wait(t); code != 1 {
			t.Errorf("exit %d, want 1", code)
		}
		rec, err := instance.ReadRecord(opts.RecordPath)
		if want := "failed: died after ready"; err != nil || rec.State != instance.StateStopped || rec.LastExit != want {
			t.Fatalf("record %+v (%v), want stopped with last exit %q", rec, err, want)
		}
	}
}

// TestDrainOnSIGTERM: a request in flight when SIGTERM arrives completes; a second
// request once the drain began is refused; the daemon then exits 0.
func TestDrainOnSIGTERM(t *testing.T) {
	opts := testOptions(t)
	d := startDaemon(t, helperCfg{Options: opts}, false)
	addr := d.ready(t)
	res := workInBackground(addr, "300ms")
	testutil.WaitFor(t, "the request in flight", func() bool { return strings.Contains(d.log(), "working") })
	d.signal(t, syscall.SIGTERM)
	if code := d.wait(t); code != 0 {
		t.Errorf("exit %d, want 0; log:\n%s", code, d.log())
	}
	r := <-res
	if r.err != nil || r.code != 200 || r.body != "worked 300ms\n" {
		t.Errorf("request in flight: %d %q %v", r.code, r.body, r.err)
	}
	if exists(t, opts.PIDFile) {
		t.Error("pidfile left behind")
	}
	if log := d.log(); strings.Contains(log, "cut short") || !strings.Contains(log, "stopped:") {
		t.Errorf("log:\n%s", log)
	}
}

// TestDrainCut: a request longer than ShutdownTimeout is cut, and the daemon exits 0
// without waiting for it.
func TestDrainCut(t *testing.T) {
	opts := testOptions(t)
	opts.ShutdownTimeout = 100 * time.Millisecond
	cfg := helperCfg{Options: opts, Demo: demo()}
	cfg.Demo.ShutdownTimeout = time.Minute // the runtime's bound, not the demo's, cuts the drain
	d := startDaemon(t, cfg, false)
	addr := d.ready(t)
	res := workInBackground(addr, "1m")
	testutil.WaitFor(t, "the request in flight", func() bool { return strings.Contains(d.log(), "working") })
	d.signal(t, syscall.SIGTERM)
	if code := d.wait(t); code != 0 { // well within the minute the work asked for
		t.Errorf("exit %d, want 0; log:\n%s", code, d.log())
	}
	if r := <-res; r.err == nil {
		t.Errorf("request in flight answered %d %q, want it cut", r.code, r.body)
	}
	if log := d.log(); !strings.Contains(log, "drain cut short") || !strings.Contains(log, "stopped:") {
		t.Errorf("log:\n%s", log)
	}
	if exists(t, opts.PIDFile) {
		t.Error("pidfile left behind")
	}
}

type workResult struct {
	code int
	body string
	err  error
}

// workInBackground asks for /work?d=d and delivers the outcome.
func workInBackground(addr, d string) <-chan workResult {
	res := make(chan workResult, 1)
	go func() {
		resp, err := http.Get("http://" + addr + "/work?d=" + d)
		if err != nil {
			res <- workResult{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		res <- workResult{resp.StatusCode, string(b), err}
	}()
	return res
}

// TestWorkloadFailsBeforeReady: a workload that returns an error, or panics, before it is
// ready fails the start: the launcher hears why (the panic's message), the log has the
// panic's stack, the exit is 1, and nothing is left behind.
func TestWorkloadFailsBeforeReady(t *testing.T) {
	for _, tc := range []struct{ mode, report, log string }{
		{"return", "no configuration file", "could not start"},
		{"panic", "panic: the workload panicked on purpose [in github.com/daemonkit/daemonkit/server_test.", "goroutine "},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			opts := testOptions(t)
			d := startDaemon(t, helperCfg{Options: opts, Mode: tc.mode}, false)
			if r, ok := d.next(t); !ok || r.PID != d.pid {
				t.Fatalf("first report %+v", r)
			}
			r, ok := d.next(t)
			if !ok || r.Ready || !strings.Contains(r.Error, tc.report) {
				t.Fatalf("second report %+v, want an error saying %q", r, tc.report)
			}
			if tc.mode == "panic" && !strings.Contains(r.Error, "helper_test.go:") {
				t.Errorf("report %q does not name the line that panicked", r.Error)
			}
			if code := d.wait(t); code != 1 {
				t.Errorf("exit %d, want 1", code)
			}
			if log := d.log(); !strings.Contains(log, tc.log) {
				t.Errorf("log lacks %q:\n%s", tc.log, log)
			}
			if exists(t, opts.PIDFile) || exists(t, opts.RecordPath) {
				t.Error("pidfile or record left behind")
			}
		})
	}
}

// TestStartGivenUpWhenLauncherGone: a daemon whose start command no longer holds its start
// lock once the daemon holds the pidfile (the command was killed on its way) gives the
// start up: nothing runs, nothing is left, the log says why.
func TestStartGivenUpWhenLauncherGone(t *testing.T) {
	opts := testOptions(t)
	opts.StartLock = filepath.Join(filepath.Dir(opts.PIDFile), "t.starting") // nobody holds it
	d := startDaemon(t, helperCfg{Options: opts}, false)
	if r, ok := d.next(t); !ok || r.PID != d.pid {
		t.Fatalf("first report %+v", r)
	}
	if r, ok := d.next(t); !ok || r.Ready || !strings.Contains(r.Error, "its start command is gone") {
		t.Fatalf("second report %+v, want the start given up", r)
	}
	if code := d.wait(t); code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if exists(t, opts.PIDFile) {
		t.Error("pidfile left behind")
	}
}

// TestReloadHook: SIGHUP reopens the log and then calls the workload's reload hook;
// SIGUSR1 only reopens the log.
func TestReloadHook(t *testing.T) {
	opts := testOptions(t)
	d := startDaemon(t, helperCfg{Options: opts, Mode: "reload"}, false)
	d.ready(t)
	d.signal(t, syscall.SIGUSR1)
	testutil.WaitFor(t, "the reopen after SIGUSR1", func() bool { return strings.Contains(d.log(), "signal=SIGUSR1") })
	d.signal(t, syscall.SIGHUP)
	testutil.WaitFor(t, "the reload hook", func() bool { return strings.Contains(d.log(), "reload hook called") })
	if n := strings.Count(d.log(), "reload hook called"); n != 1 {
		t.Errorf("reload hook called %d times, want once (SIGHUP only)", n)
	}
	d.signal(t, syscall.SIGTERM)
	if code := d.wait(t); code != 0 {
		t.Errorf("exit %d; log:\n%s", code, d.log())
	}
}

// TestPIDFileRepaired: a pidfile deleted by hand under a running daemon is put back; one
// replaced by a stale pidfile is taken over; one replaced by a file another process holds
// is reported loudly in the log. The record proves the daemon all along (pid and start
// time).
func TestPIDFileRepaired(t *testing.T) {
	opts := testOptions(t)
	opts.PIDFileCheck = 10 * time.Millisecond
	d := startDaemon(t, helperCfg{Options: opts}, false)
	d.ready(t)
	rec, err := instance.ReadRecord(opts.RecordPath)
	if err != nil || rec.StartTime == 0 || rec.StartTime != instance.StartTime(d.pid) {
		t.Fatalf("record %+v (%v): want the daemon's start time %d", rec, err, instance.StartTime(d.pid))
	}
	held := func() bool {
		st, err := pidfile.Probe(opts.PIDFile)
		return err == nil && st.State == pidfile.Running && st.PID == d.pid && st.FilePID == d.pid
	}

	if err := os.Remove(opts.PIDFile); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, "the deleted pidfile to be put back", held)

	stale := opts.PIDFile + ".new"
	if err := os.WriteFile(stale, []byte("4242\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(stale, opts.PIDFile); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, "the replaced pidfile to be taken over", held)
	if !strings.Contains(d.log(), "pidfile restored") {
		t.Errorf("log:\n%s", d.log())
	}

	d.signal(t, syscall.SIGTERM)
	if code := d.wait(t); code != 0 {
		t.Errorf("exit %d; log:\n%s", code, d.log())
	}
	if exists(t, opts.PIDFile) {
		t.Error("pidfile left behind")
	}
}

// recordStopped reports whether the record at path is kept and marked stopped, as a
// graceful stop leaves it.
func recordStopped(t *testing.T, path string) bool {
	t.Helper()
	rec, err := instance.ReadRecord(path)
	return err == nil && rec.State == instance.StateStopped && !rec.StoppedAt.IsZero()
}
