package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"golang.org/x/sys/unix"

	"github.com/daemonkit/daemonkit/server"
	"github.com/daemonkit/daemonkit/strategy"
)

// The test binary doubles as the daemon: with helperEnv set, TestMain runs server.Run (or
// first messes up its signal state and re-executes itself) instead of the tests.
const (
	helperEnv    = "DAEMONKIT_SERVER_TEST_HELPER" // "daemon" or "wrap"
	helperConfig = "DAEMONKIT_SERVER_TEST_CONFIG" // JSON of helperCfg
)

// helperCfg is what a helper process runs.
type helperCfg struct {
	Options server.Options
	Ignore  []syscall.Signal // wrap: ignored before exec, as a shell or nohup would leave them
	Block   []syscall.Signal // wrap: blocked before exec
}

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "":
		os.Exit(m.Run())
	case "wrap":
		os.Exit(helperWrap())
	default:
		os.Exit(helperDaemon())
	}
}

func loadCfg() helperCfg {
	var cfg helperCfg
	if err := json.Unmarshal([]byte(os.Getenv(helperConfig)), &cfg); err != nil {
		fmt.Fprintln(os.Stderr, "helper: bad config:", err)
		os.Exit(2)
	}
	return cfg
}

// helperWrap ignores and blocks signals as asked, then execs itself as the daemon: the
// daemon inherits that state through exec.
func helperWrap() int {
	cfg := loadCfg()
	runtime.LockOSThread() // the mask set below must be the exec'ing thread's
	if err := blockSignals(cfg.Block); err != nil {
		fmt.Fprintln(os.Stderr, "helper: block:", err)
		return 2
	}
	for _, sig := range cfg.Ignore {
		signal.Ignore(sig)
	}
	exe, err := os.Executable()
	if err == nil {
		os.Setenv(helperEnv, "daemon")
		err = syscall.Exec(exe, os.Args, os.Environ())
	}
	fmt.Fprintln(os.Stderr, "helper: exec:", err)
	return 2
}

// helperDaemon runs server.Run with the handshake pipe at descriptor 3.
func helperDaemon() int {
	cfg := loadCfg()
	rep, err := strategy.OpenReporter(strategy.ReadyFD)
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 2
	}
	log := hclog.New(&hclog.LoggerOptions{Name: "daemon", Level: hclog.Debug, Output: os.Stderr})
	err = server.Run(context.Background(), cfg.Options, rep, log)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, server.ErrAlreadyRunning):
		return 3
	default:
		return 1
	}
}

// daemon is a helper process started by a test.
type daemon struct {
	cmd      *exec.Cmd
	pid      int
	opts     server.Options
	logPath  string               // where its stdout and stderr go
	reports  chan strategy.Report // closed at EOF of the handshake pipe
	exited   chan struct{}        // closed once reaped
	exitCode int
}

// testOptions are the options of one instance in a fresh directory.
func testOptions(t *testing.T) server.Options {
	dir := t.TempDir()
	return server.Options{
		Name:            "t",
		Strategy:        "test",
		Listen:          "127.0.0.1:0",
		Heartbeat:       20 * time.Millisecond,
		ShutdownTimeout: 5 * time.Second,
		PIDFile:         filepath.Join(dir, "t.pid"),
		LogPath:         filepath.Join(dir, "t.log"),
		RecordPath:      filepath.Join(dir, "t.json"),
		Umask:           -1,
	}
}

// startDaemon starts a helper running cfg, with its stdout and stderr appended to
// cfg.Options.LogPath (or to a file of its own in the foreground) and the handshake pipe at descriptor 3. The
// process is killed by pid and reaped when the test ends.
func startDaemon(t *testing.T, cfg helperCfg, wrap bool) *daemon {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	logPath := cfg.Options.LogPath
	if logPath == "" {
		logPath = filepath.Join(t.TempDir(), "stderr.log")
	}
	logf, err := os.OpenFile(logPath, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pw.Close()
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mode := "daemon"
	if wrap {
		mode = "wrap"
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), helperEnv+"="+mode, helperConfig+"="+string(b),
		"GORACE="+os.Getenv("GORACE")+" atexit_sleep_ms=0") // under -race, exit at once
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.ExtraFiles = []*os.File{pw}
	if err := cmd.Start(); err != nil {
		pr.Close()
		t.Fatal(err)
	}
	d := &daemon{cmd: cmd, pid: cmd.Process.Pid, opts: cfg.Options, logPath: logPath,
		reports: make(chan strategy.Report, 8), exited: make(chan struct{})}
	go func() {
		defer close(d.reports)
		defer pr.Close()
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			var r strategy.Report
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				r = strategy.Report{Error: "test: bad report line: " + sc.Text()}
			}
			d.reports <- r
		}
	}()
	go func() {
		_ = cmd.Wait()
		d.exitCode = cmd.ProcessState.ExitCode()
		close(d.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-d.exited:
		default:
			_ = unix.Kill(d.pid, unix.SIGKILL)
			<-d.exited
		}
	})
	return d
}

// next returns the next handshake report; ok is false at EOF.
func (d *daemon) next(t *testing.T) (r strategy.Report, ok bool) {
	t.Helper()
	select {
	case r, ok = <-d.reports:
		return r, ok
	case <-time.After(testDeadline):
		t.Fatalf("pid %d: no handshake report within %s", d.pid, testDeadline)
	}
	return r, false
}

// ready reads the pid report and then a ready report, and returns the address.
func (d *daemon) ready(t *testing.T) string {
	t.Helper()
	r, ok := d.next(t)
	if !ok || r.PID != d.pid || r.Ready || r.Error != "" {
		t.Fatalf("first report = %+v (ok %v), want only pid %d", r, ok, d.pid)
	}
	r, ok = d.next(t)
	if !ok || !r.Ready || r.Listen == "" || r.PID != d.pid {
		t.Fatalf("second report = %+v (ok %v), want ready with an address; log:\n%s", r, ok, d.log())
	}
	if _, ok := d.next(t); ok {
		t.Fatal("report after ready")
	}
	return r.Listen
}

// log returns what the daemon wrote to its log so far.
func (d *daemon) log() string { return readFile(d.logPath) }

// signal sends sig to the daemon by pid.
func (d *daemon) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := unix.Kill(d.pid, sig); err != nil {
		t.Fatalf("kill %d %v: %v", d.pid, sig, err)
	}
}

// wait waits for the daemon to exit and returns its exit code.
func (d *daemon) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-d.exited:
		return d.exitCode
	case <-time.After(testDeadline):
		t.Fatalf("pid %d did not exit within %s", d.pid, testDeadline)
	}
	return -1
}

// testDeadline bounds every wait on a condition.
const testDeadline = 15 * time.Second

// waitUntil polls cond until it holds, failing the test at the deadline.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(testDeadline)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", testDeadline, what)
		}
		time.Sleep(5 * time.Millisecond) // poll interval
	}
}

// readFile returns the file's content, or "" if it cannot be read.
func readFile(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

// exists reports whether path exists (without opening it: opening a pidfile this process
// holds would drop its lock).
func exists(t *testing.T, path string) bool {
	t.Helper()
	_, err := os.Lstat(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return err == nil
}
