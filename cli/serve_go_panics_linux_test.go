//go:build linux

package cli_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/daemonkit/daemonkit/cli"
)

// goPanics is a program whose serve function says ready, then starts a goroutine that
// panics once the file CLI_TEST_DB_DIR/crash is there, a panic only Go's runtime catches:
// it ends the process with its trace on descriptor 2. With CLI_TEST_CLOSE_STDERR set, the
// serve function first closes os.Stderr and opens a file of its own, which takes 2.
var goPanics = cli.Config{
	Name: "gopanics",
	Serve: func(ctx context.Context, ready func(string)) error {
		dir := os.Getenv("CLI_TEST_DB_DIR")
		if os.Getenv("CLI_TEST_CLOSE_STDERR") != "" {
			os.Stderr.Close()
			f, err := os.OpenFile(filepath.Join(dir, "db"), os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
			if err != nil {
				return err
			}
			defer f.Close()
		}
		ready("")
		go func() {
			for {
				if _, err := os.Stat(filepath.Join(dir, "crash")); err == nil {
					panic("boom in a goroutine")
				}
				time.Sleep(10 * time.Millisecond) // polling for the test's word
			}
		}()
		<-ctx.Done()
		return nil
	},
}

// TestServeGoroutinePanics: a daemon whose serve function's goroutine panics is gone, and
// the trace the runtime wrote is in its log, once.
func TestServeGoroutinePanics(t *testing.T) { testServeGoroutinePanics(t, false) }

// TestServeGoroutinePanicsStderrClosed: so too when the serve function closed os.Stderr
// and a file of its own took descriptor 2, where the runtime writes the trace: the daemon
// has it written to the log as well. It went to the program's file alone.
func TestServeGoroutinePanicsStderrClosed(t *testing.T) { testServeGoroutinePanics(t, true) }

func testServeGoroutinePanics(t *testing.T, closeStderr bool) {
	state := t.TempDir()
	command := programIn(t, state, "CLI_TEST_GO_PANICS")
	start := command("start", "-d", "--name", "gp")
	start.Env = append(start.Env, "CLI_TEST_DB_DIR="+state)
	if closeStderr {
		start.Env = append(start.Env, "CLI_TEST_CLOSE_STDERR=1")
	}
	if out, err := start.CombinedOutput(); err != nil {
		t.Fatalf("start: %v\n%s", err, out)
	}
	if err := os.WriteFile(filepath.Join(state, "crash"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		return command("status", "gp").Run() != nil // not running
	}, "the daemon to crash")
	log, err := os.ReadFile(filepath.Join(state, "gp.log"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(log), "panic: boom in a goroutine"); n != 1 {
		t.Errorf("the log has the crash's panic line %d times, want once:\n%s", n, log)
	}
}

// TestWorkChildGoroutinePanicsStderrClosed: with --socket the work runs in a child of the
// daemon; a crash of it that only the runtime catches reaches the log, through the
// supervisor's pipe, though the serve function closed os.Stderr and a file of its own
// took descriptor 2. The trace went to the program's file alone.
func TestWorkChildGoroutinePanicsStderrClosed(t *testing.T) {
	state := t.TempDir()
	command := programIn(t, state, "CLI_TEST_GO_PANICS")
	start := command("start", "-d", "--name", "gp", "--socket", "tcp:127.0.0.1:0")
	start.Env = append(start.Env, "CLI_TEST_DB_DIR="+state, "CLI_TEST_CLOSE_STDERR=1")
	if out, err := start.CombinedOutput(); err != nil {
		t.Fatalf("start: %v\n%s", err, out)
	}
	if err := os.WriteFile(filepath.Join(state, "crash"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return command("status", "gp").Run() != nil }, "the work child to crash, and its daemon to end")
	b, _ := os.ReadFile(filepath.Join(state, "gp.log"))
	if !strings.Contains(string(b), "panic: boom in a goroutine\n\ngoroutine ") {
		t.Errorf("the log lacks the work child's crash:\n%s", b)
	}
}

// TestForegroundGoroutinePanicsStderrClosed: in the foreground without --log, a crash
// that only the runtime catches reaches the stderr start was given, though the serve
// function closed os.Stderr and a file of its own took descriptor 2. The trace went to
// that file alone.
func TestForegroundGoroutinePanicsStderrClosed(t *testing.T) {
	state := t.TempDir()
	command := programIn(t, state, "CLI_TEST_GO_PANICS")
	fg := command("start", "--name", "gp")
	fg.Env = append(fg.Env, "CLI_TEST_DB_DIR="+state, "CLI_TEST_CLOSE_STDERR=1")
	var stderr strings.Builder
	fg.Stderr = &stderr
	if err := fg.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return command("status", "gp").Run() == nil }, "the foreground start to be ready")
	if err := os.WriteFile(filepath.Join(state, "crash"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_ = fg.Wait() // it crashed: exit 2
	if !strings.Contains(stderr.String(), "panic: boom in a goroutine\n\ngoroutine ") {
		t.Errorf("the foreground start's stderr lacks the crash:\n%s", stderr.String())
	}
}
