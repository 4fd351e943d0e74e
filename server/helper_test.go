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

	"github.com/daemonkit/daemonkit/handshake"
	"github.com/daemonkit/daemonkit/httpdemo"
	"github.com/daemonkit/daemonkit/internal/testutil"
	"github.com/daemonkit/daemonkit/pidfile"
	"github.com/daemonkit/daemonkit/server"
)

// The test binary doubles as the daemon (testutil.Main): "daemon" runs server.Run with
// the workload the config names; "wrap" first messes up its signal state, then
// re-executes itself as "daemon".

// helperCfg is what a helper process runs.
type helperCfg struct {
	Options server.Options
	Demo    httpdemo.Config  // the workload, unless Mode says otherwise
	Mode    string           // "" the demo; "return" returns before ready; "panic" panics before ready; "reload" the demo, counting reloads; "never" never ready, returns once cancelled; "readydies" says ready and returns an error at once
	Ignore  []syscall.Signal // wrap: ignored before exec, as a shell or nohup would leave them
	Block   []syscall.Signal // wrap: blocked before exec
	Own     []syscall.Signal // ignored by the daemon itself before server.Run, as a program's init may
}

func TestMain(m *testing.M) {
	testutil.Main(m, map[string]func() int{"daemon": helperDaemon, "wrap": helperWrap})
}

// wireCfg is helperCfg as it travels to the helper, in $CONFIG: the options that are data.
type wireCfg struct {
	Name, PIDFile, LogPath, RecordPath string
	StartLock                          string
	IgnoreHUP                          bool
	ShutdownTimeout, PIDFileCheck      time.Duration
	Demo                               httpdemo.Config
	Mode                               string
	Ignore, Block, Own                 []syscall.Signal
}

func (cfg helperCfg) wire() wireCfg {
	o := cfg.Options
	return wireCfg{Name: o.Name, PIDFile: o.PIDFile, LogPath: o.LogPath, RecordPath: o.RecordPath, StartLock: o.StartLock,
		IgnoreHUP: o.IgnoreHUP, ShutdownTimeout: o.ShutdownTimeout, PIDFileCheck: o.PIDFileCheck,
		Demo: cfg.Demo, Mode: cfg.Mode, Ignore: cfg.Ignore, Block: cfg.Block, Own: cfg.Own}
}

func loadCfg() helperCfg {
	var w wireCfg
	if err := json.Unmarshal([]byte(os.Getenv("CONFIG")), &w); err != nil {
		fmt.Fprintln(os.Stderr, "helper: bad config:", err)
		os.Exit(2)
	}
	return helperCfg{
		Options: server.Options{Name: w.Name, PIDFile: w.PIDFile, LogPath: w.LogPath, RecordPath: w.RecordPath, StartLock: w.StartLock,
			IgnoreHUP: w.IgnoreHUP, ShutdownTimeout: w.ShutdownTimeout, PIDFileCheck: w.PIDFileCheck},
		Demo: w.Demo, Mode: w.Mode, Ignore: w.Ignore, Block: w.Block, Own: w.Own,
	}
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
		if err := ignoreBeforeExec(sig); err != nil {
			fmt.Fprintln(os.Stderr, "helper: ignore:", err)
			return 2
		}
	}
	exe, err := os.Executable()
	if err == nil {
		os.Setenv("DAEMONKIT_TEST_HELPER", "daemon")
		err = syscall.Exec(exe, os.Args, os.Environ())
	}
	fmt.Fprintln(os.Stderr, "helper: exec:", err)
	return 2
}

// helperDaemon runs server.Run with the handshake pipe at descriptor 3.
func helperDaemon() int {
	cfg := loadCfg()
	rep, err := handshake.OpenReporter(handshake.FD)
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 2
	}
	for _, sig := range cfg.Own {
		signal.Ignore(sig)
	}
	opts := cfg.Options
	opts.Reporter = rep
	opts.Logger = hclog.New(&hclog.LoggerOptions{Name: "daemon", Level: hclog.Debug, Output: os.Stderr})
	err = server.Run(context.Background(), cfg.workload(), opts)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, pidfile.ErrLocked):
		return 3
	default:
		return 1
	}
}

// workload is the workload cfg names.
func (cfg helperCfg) workload() server.Workload {
	switch cfg.Mode {
	case "return":
		return server.WorkloadFunc(func(context.Context, server.ReadyFunc) error {
			return errors.New("no configuration file")
		})
	case "panic":
		return server.WorkloadFunc(func(context.Context, server.ReadyFunc) error {
			panic(errors.New("the workload panicked on purpose"))
		})
	case "reload":
		return reloadingDemo{cfg.Demo}
	case "never":
		return server.WorkloadFunc(func(ctx context.Context, _ server.ReadyFunc) error {
			<-ctx.Done()
			return nil
		})
	case "readydies":
		return server.WorkloadFunc(func(_ context.Context, ready server.ReadyFunc) error {
			ready("")
			return errors.New("died after ready")
		})
	}
	return cfg.Demo
}

// reloadingDemo is the demo with a reload hook that logs each call.
type reloadingDemo struct{ httpdemo.Config }

func (reloadingDemo) Reload(ctx context.Context) error {
	hclog.FromContext(ctx).Info("reload hook called")
	return nil
}

// daemon is a helper process started by a test.
type daemon struct {
	cmd      *exec.Cmd
	pid      int
	opts     server.Options
	logPath  string                // where its stdout and stderr go
	reports  chan handshake.Report // closed at EOF of the handshake pipe
	exited   chan struct{}         // closed once reaped
	exitCode int
}

// testOptions are the options of one instance in a fresh directory.
func testOptions(t *testing.T) server.Options {
	dir := t.TempDir()
	return server.Options{
		Name:            "t",
		ShutdownTimeout: 5 * time.Second,
		PIDFile:         filepath.Join(dir, "t.pid"),
		LogPath:         filepath.Join(dir, "t.log"),
		RecordPath:      filepath.Join(dir, "t.json"),
	}
}

// demo is the built-in server's configuration for one test.
func demo() httpdemo.Config {
	return httpdemo.Config{Name: "t", Listen: "127.0.0.1:0", Heartbeat: 20 * time.Millisecond, ShutdownTimeout: 5 * time.Second}
}

// startDaemon starts a helper running cfg, with its stdout and stderr appended to
// cfg.Options.LogPath (or to a file of its own in the foreground) and the handshake pipe at descriptor 3. The
// process is killed by pid and reaped when the test ends.
func startDaemon(t *testing.T, cfg helperCfg, wrap bool) *daemon {
	t.Helper()
	if cfg.Demo.Listen == "" {
		cfg.Demo = demo()
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
	b, err := json.Marshal(cfg.wire())
	if err != nil {
		t.Fatal(err)
	}
	mode := "daemon"
	if wrap {
		mode = "wrap"
	}
	cmd := testutil.Helper(t, mode, nil, "CONFIG="+string(b))
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.ExtraFiles = []*os.File{pw}
	if err := cmd.Start(); err != nil {
		pr.Close()
		t.Fatal(err)
	}
	d := &daemon{cmd: cmd, pid: cmd.Process.Pid, opts: cfg.Options, logPath: logPath,
		reports: make(chan handshake.Report, 8), exited: make(chan struct{})}
	go func() {
		defer close(d.reports)
		defer pr.Close()
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			var r handshake.Report
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				r = handshake.Report{Error: "test: bad report line: " + sc.Text()}
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
func (d *daemon) next(t *testing.T) (r handshake.Report, ok bool) {
	t.Helper()
	select {
	case r, ok = <-d.reports:
		return r, ok
	case <-time.After(testutil.Deadline):
		t.Fatalf("pid %d: no handshake report within %s", d.pid, testutil.Deadline)
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
	case <-time.After(testutil.Deadline):
		t.Fatalf("pid %d did not exit within %s", d.pid, testutil.Deadline)
	}
	return -1
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
