// Package testutil is the tests' shared helpers, written once: waiting on a condition with
// a deadline, the helper-process pattern (the test binary run again as a small program of
// the test's own), the environment that makes a -race helper exit at once, and a copy of
// the test binary that another user can run. It is for tests only.
package testutil

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Deadline bounds every wait on a condition. It is generous on purpose: reaching it is a
// failure, never a measurement.
const Deadline = 60 * time.Second

// WaitFor polls cond, backing off from 1 ms to 50 ms, until it holds; it fails the test
// at Deadline.
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(Deadline)
	for backoff := time.Millisecond; !cond(); backoff = min(2*backoff, 50*time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("timed out after %s waiting for %s", Deadline, what)
		}
		time.Sleep(backoff) // a polling step, not a wait on luck
	}
}

// Environ is this process's environment with GORACE asking a -race binary to exit at once
// (by default it sleeps a second at exit, which every helper and daemon would pay), and
// then extra.
func Environ(extra ...string) []string {
	env := make([]string, 0, len(os.Environ())+len(extra)+1)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GORACE=") {
			env = append(env, kv)
		}
	}
	return append(append(env, "GORACE="+GORACE()), extra...)
}

// GORACE is this process's GORACE with atexit_sleep_ms=0 added.
func GORACE() string {
	return strings.TrimSpace(os.Getenv("GORACE") + " atexit_sleep_ms=0")
}

// helperEnv names the helper a test binary, run again, plays.
const helperEnv = "DAEMONKIT_TEST_HELPER"

// Main is a test binary's TestMain: run again by Helper with a name in helpers, it runs
// that helper and exits with its code; otherwise it runs the tests.
func Main(m *testing.M, helpers map[string]func() int) {
	if name := os.Getenv(helperEnv); name != "" {
		run, ok := helpers[name]
		if !ok {
			os.Stderr.WriteString("testutil: no helper named " + name + "\n")
			os.Exit(2)
		}
		os.Exit(run())
	}
	DefaultSignals()
	os.Exit(m.Run())
}

// DefaultSignals has this test process catch the signals it was started with ignored
// (SIGHUP under nohup; SIGINT and SIGQUIT as a script's background job), so that the tests
// see, and what they start gets, the default actions, as from a user's shell (a caught
// signal's handler is reset at exec; an ignored one stays ignored): a foreground start
// under an ignored SIGHUP keeps it ignored for its work, and the tests that test an
// ignored signal ignore it themselves (nohup).
func DefaultSignals() {
	for _, sig := range []os.Signal{syscall.SIGHUP, syscall.SIGINT, syscall.SIGQUIT} {
		if signal.Ignored(sig) {
			signal.Notify(make(chan os.Signal, 1), sig)
		}
	}
}

// Helper is the command that runs this test binary again as the helper name (see Main),
// with args and Environ(env...). The caller starts it, and kills it by pid when the test
// ends.
func Helper(t testing.TB, name string, args []string, env ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = Environ(append([]string{helperEnv + "=" + name}, env...)...)
	return cmd
}

// Buffer is a bytes.Buffer safe for concurrent use: a log a test reads while a server
// writes it.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String returns what was written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Get does an HTTP request and returns the status and body, failing the test if no
// answer comes.
func Get(t testing.TB, method, url string) (int, string) {
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
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, url, err)
	}
	return resp.StatusCode, string(body)
}

// Receive returns the next value from ch; it fails the test, saying what it waited for,
// when none comes within Deadline.
func Receive[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(Deadline):
		t.Fatalf("timed out after %s waiting for %s", Deadline, what)
		panic("unreachable")
	}
}

// StartSleep starts `sleep 600` as a child of the test, below it as a program's processes
// are below their supervisor, and kills and reaps it when the test ends, whatever happens.
func StartSleep(t testing.TB) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("sleep", "600")
	if err := cmd.Start(); err != nil {
		t.Fatalf("start sleep: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill() // os.Process uses a pidfd: never hits a reused pid
		_ = cmd.Wait()
	})
	return cmd
}
