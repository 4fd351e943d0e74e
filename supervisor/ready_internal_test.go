package supervisor

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/daemonkit/daemonkit/internal/testutil"
	"github.com/daemonkit/daemonkit/notify"
)

// TestLastLine: a failed check's error quotes the last line it wrote that is not blank,
// bounded, and valid UTF-8.
func TestLastLine(t *testing.T) {
	long := strings.Repeat("x", 300)
	for in, want := range map[string]string{
		"":                        "",
		"one\n":                   "one",
		"one\ntwo\n\n  \n":        "two",
		"  indented  \r\n":        "indented",
		"no newline":              "no newline",
		"a\n" + long:              long[100:],
		"bad \xff byte\n":         "bad ? byte",
		"first\nlast without end": "last without end",
	} {
		if got := lastLine(strings.NewReader(in)); got != want {
			t.Errorf("lastLine(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestParseForeignPID: a program's own pidfile is read as systemd and start-stop-daemon
// read it, blanks around the first line left out; anything but one pid there is refused.
func TestParseForeignPID(t *testing.T) {
	for in, want := range map[string]int{
		"1234\n":        1234,
		"1234":          1234,
		"1234 \n":       1234,
		"  1234\n":      1234,
		"\t1234\r\n":    1234,
		"1234\n\n":      1234,
		"1234\nextra\n": 1234,
		"":              0,
		"\n1234\n":      0, // the first line is empty
		"12 34\n":       0,
		"1234x\n":       0,
		"-1\n":          0,
		"0\n":           0,
	} {
		got, err := parseForeignPID([]byte(in))
		if want == 0 && err == nil || want != 0 && (err != nil || got != want) {
			t.Errorf("parseForeignPID(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
}

// TestHTTPCheckStatus: --ready http: takes 2xx and 3xx as ready (200-399, as a Kubernetes
// httpGet probe does, without following the redirect), and nothing else.
func TestHTTPCheckStatus(t *testing.T) {
	for code, ready := range map[int]bool{200: true, 204: true, 301: true, 302: true, 399: true, 199: false, 400: false, 404: false, 503: false} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Location", "/elsewhere")
			w.WriteHeader(code)
		}))
		r := &run{s: New(Config{Ready: Readiness{Kind: "http", Target: srv.URL + "/healthz"}}, io.Discard)}
		err := r.check(context.Background(), &program{})
		srv.Close()
		if (err == nil) != ready {
			t.Errorf("status %d: check = %v; want ready %v", code, err, ready)
		}
	}
}

// TestUnusedFields: what a notification says that the supervisor does not act on is named,
// for its debug log line; what it acts on is not.
func TestUnusedFields(t *testing.T) {
	m, err := notify.Parse([]byte("READY=1\nSTATUS=up\nWATCHDOG=1\nFDSTORE=1\nMAINPID=42"))
	if err != nil {
		t.Fatal(err)
	}
	if got := unusedFields(m); !slices.Equal(got, []string{"FDSTORE", "WATCHDOG"}) {
		t.Errorf("unusedFields(READY, STATUS, WATCHDOG, FDSTORE, MAINPID) = %q, want FDSTORE, WATCHDOG", got)
	}
	m, _ = notify.Parse([]byte("RELOADING=1"))
	if got := unusedFields(m); !slices.Equal(got, []string{"RELOADING"}) {
		t.Errorf("unusedFields(RELOADING) = %q", got)
	}
}

// TestGraceOverButEnded: a program whose --ready-grace has passed but which has ended by the
// time the supervisor looks (late: a loaded machine) ended before it was ready, every time;
// it is never reported ready.
func TestGraceOverButEnded(t *testing.T) {
	t.Cleanup(func() { testHookBeforeReadySelect = nil })
	testHookBeforeReadySelect = func(result chan error) { // the grace of 1ms passes meanwhile
		testutil.WaitFor(t, "the grace over", func() bool { return len(result) > 0 })
	}
	for i := range 40 {
		r := &run{s: New(Config{ReadyGrace: time.Millisecond}, io.Discard), ctx: context.Background()}
		err := r.awaitReady(&program{exited: closedStatus(syscall.WaitStatus(3 << 8))}, nil, 0, false)
		var early *endedEarly
		if !errors.As(err, &early) {
			t.Fatalf("try %d: awaitReady = %v, want it ended before it was ready", i, err)
		}
	}
}

// TestReadyAsItsTimeoutPassed: a program that got ready as its ready timeout passed, both
// found by a supervisor late to look (a loaded machine), is ready, every time: it is not
// killed and reported not ready in time.
func TestReadyAsItsTimeoutPassed(t *testing.T) {
	t.Cleanup(func() { testHookBeforeReadySelect = nil })
	var began time.Time
	const bound = time.Millisecond
	testHookBeforeReadySelect = func(result chan error) {
		testutil.WaitFor(t, "ready, and the ready timeout passed", func() bool {
			return len(result) > 0 && time.Since(began) > bound
		})
	}
	for i := range 40 {
		r := &run{s: New(Config{ReadyGrace: time.Microsecond}, io.Discard), ctx: context.Background()}
		began = time.Now()
		if err := r.awaitReady(&program{exited: make(chan syscall.WaitStatus)}, nil, bound, false); err != nil {
			t.Fatalf("try %d: awaitReady = %v, want it ready", i, err)
		}
	}
}
