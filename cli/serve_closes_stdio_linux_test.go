//go:build linux

package cli_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/daemonkit/daemonkit/cli"
)

// closesStdio is a program whose serve function writes a line to os.Stdout, then closes
// os.Stdout and os.Stderr and opens two files of its own, its "databases", which get
// descriptors 1 and 2, as a server that closes what it does not use would; it writes one
// line to each, then says ready.
var closesStdio = cli.Config{
	Name: "closesstdio",
	Serve: func(ctx context.Context, ready func(string)) error {
		fmt.Println("the program's own line")
		os.Stdout.Close()
		os.Stderr.Close()
		dir := os.Getenv("CLI_TEST_DB_DIR")
		for _, name := range []string{"db1", "db2"} {
			f, err := os.OpenFile(filepath.Join(dir, name), os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
			if err != nil {
				return err
			}
			defer f.Close()
			if _, err := f.WriteString(name + " data\n"); err != nil {
				return err
			}
		}
		ready("")
		<-ctx.Done()
		return nil
	},
}

// TestServeClosesStdio: a serve function that closes os.Stdout and os.Stderr, whose
// descriptors 1 and 2 then name files of its own, gets none of the daemon's log lines in
// them, and a reopen (after logrotate) leaves them as they are; the daemon's lines, and
// what the program wrote to os.Stdout before, are in the log. The daemon once wrote its
// lines to descriptor 2 by number, into the program's file, and a reopen made 1 and 2 the
// log again, taking the program's files from under it. Neither status nor reopen takes
// the daemon for one that writes elsewhere.
func TestServeClosesStdio(t *testing.T) {
	state := t.TempDir()
	command := programIn(t, state, "CLI_TEST_CLOSES_STDIO")
	run := runWithDB(t, command, state)
	logPath := filepath.Join(state, "db.log")
	run("start", "-d", "--name", "db", "--log", logPath)
	pid, err := os.ReadFile(filepath.Join(state, "db.pid"))
	if err != nil {
		t.Fatal(err)
	}
	fdIs := func(fd int, want string) {
		t.Helper()
		got, err := os.Readlink(fmt.Sprintf("/proc/%s/fd/%d", strings.TrimSpace(string(pid)), fd))
		if err != nil || got != want {
			t.Errorf("the daemon's descriptor %d names %q (%v); want %q, the program's", fd, got, err, want)
		}
	}
	fdIs(1, filepath.Join(state, "db1"))
	fdIs(2, filepath.Join(state, "db2"))

	if out := run("status", "db"); strings.Contains(out, "no longer at this path") {
		t.Errorf("status says the daemon writes elsewhere than its log:\n%s", out)
	}
	if err := os.Rename(logPath, logPath+".1"); err != nil {
		t.Fatal(err)
	}
	if out := run("reopen", "db"); strings.Contains(out, "warning") {
		t.Errorf("reopen warns:\n%s", out)
	}
	waitFor(t, func() bool {
		b, _ := os.ReadFile(logPath)
		return strings.Contains(string(b), "reopened log")
	}, "the reopened log to say so")
	fdIs(1, filepath.Join(state, "db1"))
	fdIs(2, filepath.Join(state, "db2"))
	run("stop", "db")

	for _, name := range []string{"db1", "db2"} {
		if b, _ := os.ReadFile(filepath.Join(state, name)); string(b) != name+" data\n" {
			t.Errorf("%s holds %q; want only what the program wrote", name, b)
		}
	}
	old, _ := os.ReadFile(logPath + ".1")
	for _, want := range []string{"the program's own line", "started"} {
		if !strings.Contains(string(old), want) {
			t.Errorf("the log before the reopen lacks %q:\n%s", want, old)
		}
	}
	if b, _ := os.ReadFile(logPath); !strings.Contains(string(b), "stopped") {
		t.Errorf("the reopened log lacks the daemon's last lines:\n%s", b)
	}
}

// waitFor polls cond until it holds, failing the test (saying what it waited for) after a
// deadline.
func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond) // polling a condition, with a deadline
	}
}

// closesStderrPanics is a program whose serve function closes os.Stderr and opens a file
// of its own, its "database", which gets descriptor 2, then says ready, and panics when
// it is stopped.
var closesStderrPanics = cli.Config{
	Name: "closesstderr",
	Serve: func(ctx context.Context, ready func(string)) error {
		os.Stderr.Close()
		f, err := os.OpenFile(filepath.Join(os.Getenv("CLI_TEST_DB_DIR"), "db"), os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			return err
		}
		defer f.Close()
		if _, err := f.WriteString("db data\n"); err != nil {
			return err
		}
		ready("")
		<-ctx.Done()
		panic("the drain went wrong")
	},
}

// TestWorkChildClosesStderr: with --socket the work runs in a child of the daemon, whose
// own lines (the panic of its serve function, its last word) reach the log through a
// descriptor of its own, though the serve function closed os.Stderr and a file of its own
// took descriptor 2. They went to the closed os.Stderr, and were lost.
func TestWorkChildClosesStderr(t *testing.T) {
	state := t.TempDir()
	command := programIn(t, state, "CLI_TEST_CLOSES_STDERR_PANICS")
	run := runWithDB(t, command, state)
	run("start", "-d", "--name", "db", "--socket", "tcp:127.0.0.1:0")
	run("stop", "db")
	b, _ := os.ReadFile(filepath.Join(state, "db.log"))
	for _, want := range []string{"the workload panicked", "the drain went wrong", "closesstderr: panic: the drain went wrong"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("the log lacks the work child's %q:\n%s", want, b)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(state, "db")); string(b) != "db data\n" {
		t.Errorf("the program's file holds %q; want only what the program wrote", b)
	}
}

// TestForegroundServeClosesStdio: in the foreground without --log, daemonkit's own lines
// (started, stopping, stopped) go to the stderr start was given, through a descriptor of
// its own, never into the file of the serve function's that took descriptor 2 after it
// closed os.Stderr. They were written to descriptor 2 by number, into that file.
func TestForegroundServeClosesStdio(t *testing.T) {
	state := t.TempDir()
	command := programIn(t, state, "CLI_TEST_CLOSES_STDIO")
	fg := command("start", "--name", "db")
	fg.Env = append(fg.Env, "CLI_TEST_DB_DIR="+state)
	var stderr strings.Builder
	fg.Stderr = &stderr
	if err := fg.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		cmd := command("status", "db")
		return cmd.Run() == nil
	}, "the foreground start to be ready")
	if out, err := command("stop", "db").CombinedOutput(); err != nil {
		t.Fatalf("stop: %v\n%s", err, out)
	}
	if err := fg.Wait(); err != nil {
		t.Fatalf("the foreground start: %v\n%s", err, stderr.String())
	}
	if b, _ := os.ReadFile(filepath.Join(state, "db2")); string(b) != "db2 data\n" {
		t.Errorf("the program's file on descriptor 2 holds %q; want only what the program wrote", b)
	}
	for _, want := range []string{"started", "stopped"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("the foreground start's stderr lacks %q:\n%s", want, stderr.String())
		}
	}
}

// runWithDB runs a command of the program command makes, with CLI_TEST_DB_DIR=state (where
// its serve function opens its files), fails the test if it fails, and returns its output.
func runWithDB(t *testing.T, command func(args ...string) *exec.Cmd, state string) func(args ...string) string {
	return func(args ...string) string {
		t.Helper()
		cmd := command(args...)
		cmd.Env = append(cmd.Env, "CLI_TEST_DB_DIR="+state)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		return string(out)
	}
}
