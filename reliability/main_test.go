//go:build linux

package reliability_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/daemonkit/daemonkit/internal/testutil"
	"github.com/daemonkit/daemonkit/pidfile"
)

// The environment that marks every process a test starts, and so every process of every
// instance it starts (a daemon's environment is its caller's, and a supervised program's
// is its supervisor's): found through /proc/PID/environ, they are counted, checked, and at
// the end killed by pid, whatever happened.
const (
	runEnv      = "RELIABILITY_RUN"      // this run of the test binary
	testEnv     = "RELIABILITY_TEST"     // the test
	instanceEnv = "RELIABILITY_INSTANCE" // the instance, or the helper's role
)

var (
	runID = fmt.Sprintf("%d-%d", os.Getpid(), time.Now().UnixNano())

	// tmpRoot holds the daemonkit binary and the helpers' names; removed by TestMain.
	tmpRoot string

	buildOnce sync.Once
	buildErr  error
)

// TestMain runs a helper when the test binary is run under a helper's name (see
// helpers_test.go); otherwise the tests, after which it kills whatever any of them left.
func TestMain(m *testing.M) {
	if h, ok := helperMains[filepath.Base(os.Args[0])]; ok {
		os.Exit(h(os.Args[1:]))
	}
	var err error
	tmpRoot, err = os.MkdirTemp("", "daemonkit-reliability-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	killMarked(func(p proc) bool { return true })
	_ = os.RemoveAll(tmpRoot)
	os.Exit(code)
}

// daemonkitBin builds daemonkit once per run, as a user's go build would, and returns its
// path. The helpers get their names beside it. The binary is built without -race even when
// the tests run with it (a -race daemonkit takes several times longer to start, and the
// suite runs it thousands of times): RELIABILITY_RACE=1 builds it with -race too, when
// this test binary has it.
func daemonkitBin(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		if err := os.Chmod(tmpRoot, 0o755); err != nil {
			buildErr = err
			return
		}
		args := []string{"build", "-o", filepath.Join(tmpRoot, "daemonkit")}
		if raceEnabled && os.Getenv("RELIABILITY_RACE") == "1" {
			args = append(args, "-race")
		}
		cmd := exec.Command("go", append(args, "github.com/daemonkit/daemonkit")...)
		cmd.Dir = ".." // the module's root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
			return
		}
		self, err := os.Executable()
		if err != nil {
			buildErr = err
			return
		}
		for name := range helperMains {
			if err := os.Symlink(self, filepath.Join(tmpRoot, name)); err != nil {
				buildErr = err
				return
			}
		}
	})
	if buildErr != nil {
		t.Fatalf("build daemonkit: %v", buildErr)
	}
	return filepath.Join(tmpRoot, "daemonkit")
}

// helperPath is the path that runs the test binary as the helper name.
func helperPath(t testing.TB, name string) string {
	daemonkitBin(t)
	return filepath.Join(tmpRoot, name)
}

// loops is n, or a few under -short.
func loops(n int) int {
	if testing.Short() {
		return min(n, 4)
	}
	return n
}

// strategies are taken in turn by the loops.
var strategies = []string{"reexec", "setsid", "nohup"}

// env is one test's world: its own state and log directory, and the environment every
// command it runs gets.
type env struct {
	t     testing.TB
	bin   string
	state string
	test  string // the value of testEnv
}

// newEnv makes a test's world, and, at the test's end, kills by pid every process the
// test left (and fails it if a daemon was left running: every test stops what it starts).
func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, bin: daemonkitBin(t), state: t.TempDir(), test: t.Name()}
	t.Cleanup(func() {
		left := killMarked(func(p proc) bool { return p.env[testEnv] == e.test })
		for _, p := range left {
			t.Logf("killed pid %d, left by the test: %q", p.pid, p.args)
		}
	})
	return e
}

// environ is the environment of a command run for the instance name: this process's,
// less anything that would change daemonkit's behaviour, with the test's marks, the
// state directory, and a -race binary told not to linger at exit.
func (e *env) environ(name string, extra ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "DAEMONKIT_"), strings.HasPrefix(k, "RELIABILITY_"),
			k == "NOTIFY_SOCKET", strings.HasPrefix(k, "LISTEN_"), k == "GORACE":
			continue
		}
		out = append(out, kv)
	}
	out = append(out,
		"GORACE="+testutil.GORACE(),
		"DAEMONKIT_STATE_DIR="+e.state, "DAEMONKIT_LOG_DIR="+e.state,
		runEnv+"="+runID, testEnv+"="+e.test, instanceEnv+"="+name)
	return append(out, extra...)
}

// result is how a command ended.
type result struct {
	args     []string
	code     int
	out, err string
	took     time.Duration
}

func (r result) String() string {
	return fmt.Sprintf("daemonkit %s: exit %d after %s\nstdout: %s\nstderr: %s",
		strings.Join(r.args, " "), r.code, r.took.Round(time.Microsecond), r.out, r.err)
}

// cmd is daemonkit args, for the instance name, not started.
func (e *env) cmd(name string, args ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	cmd := exec.Command(e.bin, args...)
	cmd.Env = e.environ(name)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	return cmd, &out, &errb
}

// run runs daemonkit args for the instance name and returns how it ended. A command that
// has not returned after the deadline is killed and fails the test: every command must
// return.
func (e *env) run(name string, args ...string) result {
	e.t.Helper()
	cmd, out, errb := e.cmd(name, args...)
	began := time.Now()
	if err := cmd.Start(); err != nil {
		e.t.Fatalf("daemonkit %s: %v", strings.Join(args, " "), err)
	}
	return e.wait(cmd, out, errb, args, began)
}

// wait waits for a command started by cmd, up to the deadline.
func (e *env) wait(cmd *exec.Cmd, out, errb *bytes.Buffer, args []string, began time.Time) result {
	e.t.Helper()
	r, err := ended(cmd, out, errb, args, began)
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

// runQuiet is run for a goroutine other than the test's, which may not end the test: a
// command that cannot be started, does not return within the deadline (it is killed) or
// ends otherwise than by an exit comes back with exit code -1 and why on its stderr.
func (e *env) runQuiet(name string, args ...string) result {
	cmd, out, errb := e.cmd(name, args...)
	began := time.Now()
	if err := cmd.Start(); err != nil {
		return result{args: args, code: -1, err: err.Error()}
	}
	r, err := ended(cmd, out, errb, args, began)
	if err != nil {
		r.code, r.err = -1, err.Error()
	}
	return r
}

// ended waits for a command started by cmd, up to the deadline, and returns how it ended;
// the error says why it did not exit (it is killed if it did not return in time).
func ended(cmd *exec.Cmd, out, errb *bytes.Buffer, args []string, began time.Time) (result, error) {
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(testutil.Deadline):
		_ = cmd.Process.Kill()
		<-done
		return result{args: args}, fmt.Errorf("daemonkit %s did not return within %s", strings.Join(args, " "), testutil.Deadline)
	}
	r := result{args: args, took: time.Since(began), out: out.String(), err: errb.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ee.Exited():
		r.code = ee.ExitCode()
	default:
		return r, fmt.Errorf("daemonkit %s: %w", strings.Join(args, " "), err)
	}
	return r, nil
}

// must runs daemonkit args and fails the test unless it exits with code.
func (e *env) must(code int, name string, args ...string) result {
	e.t.Helper()
	r := e.run(name, args...)
	if r.code != code {
		e.t.Fatalf("want exit %d from %s", code, r)
	}
	return r
}

// paths of an instance's files.
func (e *env) pidfile(name string) string { return filepath.Join(e.state, name+".pid") }
func (e *env) logfile(name string) string { return filepath.Join(e.state, name+".log") }
func (e *env) record(name string) string  { return filepath.Join(e.state, name+".json") }

// holder is the pid holding the instance's pidfile lock, or 0.
func (e *env) holder(name string) int {
	st, err := pidfile.Probe(e.pidfile(name))
	if err != nil || st.State != pidfile.Running {
		return 0
	}
	return st.PID
}

// record is the part of an instance's record the tests read.
type record struct {
	PID      int    `json:"pid"`
	ChildPID int    `json:"child_pid"`
	Restarts int    `json:"restarts"`
	State    string `json:"state"`
}

func (e *env) readRecord(name string) (record, error) {
	var r record
	b, err := os.ReadFile(e.record(name))
	if err == nil {
		err = json.Unmarshal(b, &r)
	}
	return r, err
}

// ---------------------------------------------------------------------------------------
// Processes, through /proc.

// proc is a live process this run started (directly or not).
type proc struct {
	pid   int
	ppid  int
	state byte
	args  []string
	env   map[string]string // only the marks
}

// daemon reports whether p is a daemon of daemonkit (not the intermediate, not a command).
func (p proc) daemon() bool { return len(p.args) > 1 && p.args[1] == "_daemon" }

// marked lists the live processes of this run that match keep: processes whose
// environment carries this run's mark, zombies excluded (a zombie's environment reads
// empty: it is gone). The test process itself is never listed.
func marked(keep func(proc) bool) []proc {
	des, err := os.ReadDir("/proc")
	if err != nil {
		panic(err)
	}
	var ps []proc
	for _, de := range des {
		pid, err := strconv.Atoi(de.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		p, ok := readProc(pid)
		if ok && keep(p) {
			ps = append(ps, p)
		}
	}
	return ps
}

// readProc reads pid, if it is alive and carries this run's mark.
func readProc(pid int) (proc, bool) {
	dir := "/proc/" + strconv.Itoa(pid)
	b, err := os.ReadFile(dir + "/environ")
	if err != nil || !bytes.Contains(b, []byte(runEnv+"="+runID+"\x00")) {
		return proc{}, false
	}
	p := proc{pid: pid, env: map[string]string{}}
	for _, kv := range strings.Split(string(b), "\x00") {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "RELIABILITY_") {
			p.env[k] = v
		}
	}
	if p.env[runEnv] != runID {
		return proc{}, false
	}
	if b, err = os.ReadFile(dir + "/cmdline"); err == nil {
		p.args = strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00")
	}
	st, ok := stat(pid)
	if !ok || st.state == 'Z' || st.state == 'X' {
		return proc{}, false
	}
	p.state, p.ppid = st.state, st.ppid
	return p, true
}

type procStat struct {
	state byte
	ppid  int
}

// stat reads the state and parent of pid from /proc/PID/stat.
func stat(pid int) (procStat, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, false
	}
	i := bytes.LastIndexByte(b, ')')
	f := strings.Fields(string(b[i+1:]))
	if i < 0 || len(f) < 2 {
		return procStat{}, false
	}
	ppid, _ := strconv.Atoi(f[1])
	return procStat{state: f[0][0], ppid: ppid}, true
}

// instance lists the live processes of the instance name in this test.
func (e *env) instance(name string) []proc {
	return marked(func(p proc) bool { return p.env[testEnv] == e.test && p.env[instanceEnv] == name })
}

// noneLeft fails the test if any process of the instance name is alive, naming them.
func (e *env) noneLeft(name, when string) {
	e.t.Helper()
	if left := e.instance(name); len(left) > 0 {
		e.t.Errorf("%s: %d process(es) of %s still alive:", when, len(left), name)
		for _, p := range left {
			e.t.Errorf("  pid %d (parent %d, state %c): %q", p.pid, p.ppid, p.state, p.args)
		}
		e.t.FailNow()
	}
}

// killMarked kills, by pid, every live process of this run that keep selects, until none
// is left (a daemon that is starting may start another), and returns the ones it killed.
// Each is opened as a pidfd and checked again before the signal, so a reused pid is never
// hit.
func killMarked(keep func(proc) bool) []proc {
	var killed []proc
	for end := time.Now().Add(testutil.Deadline); time.Now().Before(end); {
		ps := marked(keep)
		if len(ps) == 0 {
			return killed
		}
		for _, p := range ps {
			fd, err := unix.PidfdOpen(p.pid, 0)
			if err != nil {
				continue
			}
			if again, ok := readProc(p.pid); ok && keep(again) {
				if unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0) == nil && !slices.ContainsFunc(killed, func(k proc) bool { return k.pid == p.pid }) {
					killed = append(killed, p)
				}
			}
			_ = unix.Close(fd)
		}
		time.Sleep(5 * time.Millisecond) // a polling step while the killed exit
	}
	return killed
}

// waitFor polls cond until it holds, up to the deadline; what says what was awaited.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	testutil.WaitFor(t, what, cond)
}

// signalName is SIGTERM, SIGHUP, ...
func signalName(s os.Signal) string {
	if sig, ok := s.(syscall.Signal); ok {
		if n := unix.SignalName(sig); n != "" {
			return n
		}
	}
	return s.String()
}
