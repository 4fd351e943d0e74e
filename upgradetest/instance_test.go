//go:build linux

package upgradetest

import (
	"bytes"
	"context"
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

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/daemonkit/daemonkit/internal/testutil"
	"github.com/daemonkit/daemonkit/pidfile"
)

// commandTimeout bounds every daemonkit command a test runs.
const commandTimeout = 3 * time.Minute

// daemon is one daemonkit instance of a test, in a state directory of its own. Whatever
// happens, it is stopped when the test ends, and then every process of it the test saw
// (the supervisor, each copy and its process group) is killed by pid.
type daemon struct {
	t     *testing.T
	name  string
	state string

	mu     sync.Mutex
	copies map[int]*proc.Process // pidfds of the copies seen, opened while each was known alive
}

func newDaemon(t *testing.T, name string) *daemon {
	d := &daemon{t: t, name: name, state: t.TempDir(), copies: map[int]*proc.Process{}}
	t.Cleanup(d.cleanup)
	return d
}

// run runs `daemonkit ARGS...` and returns its exit code, stdout and stderr.
func (d *daemon) run(args ...string) (int, string, string) {
	d.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, daemonkitBin, args...)
	cmd.Env = hostEnv("DAEMONKIT_STATE_DIR="+d.state, "DAEMONKIT_LOG_DIR="+d.state)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		d.t.Fatalf("daemonkit %s: %v", strings.Join(args, " "), err)
	}
	d.t.Logf("$ daemonkit %s\n%s%s(exit %d)", strings.Join(args, " "), stdout.String(), stderr.String(), cmd.ProcessState.ExitCode())
	return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
}

// result is how a daemonkit command ended.
type result struct {
	code           int
	stdout, stderr string
}

// runAsync runs `daemonkit ARGS...` on a goroutine of its own; its result comes on the
// channel. It is waited for, with a bound, even when the test fails first.
func (d *daemon) runAsync(args ...string) <-chan result {
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	cmd := exec.CommandContext(ctx, daemonkitBin, args...)
	cmd.Env = hostEnv("DAEMONKIT_STATE_DIR="+d.state, "DAEMONKIT_LOG_DIR="+d.state)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	out := make(chan result, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer cancel()
		err := cmd.Run()
		code := -1
		if cmd.ProcessState != nil {
			code = cmd.ProcessState.ExitCode()
		}
		if err != nil && code < 0 {
			stderr.WriteString(err.Error())
		}
		out <- result{code, stdout.String(), stderr.String()}
	}()
	d.t.Cleanup(func() { <-done })
	return out
}

// mustRun runs `daemonkit ARGS...` and fails unless it exits 0.
func (d *daemon) mustRun(args ...string) string {
	d.t.Helper()
	code, stdout, _ := d.run(args...)
	if code != 0 {
		d.t.Fatalf("daemonkit %s exited %d", strings.Join(args, " "), code)
	}
	return stdout
}

// record reads the instance's record.
func (d *daemon) record() instance.Record {
	d.t.Helper()
	rec, err := instance.ReadRecord(filepath.Join(d.state, d.name+".json"))
	if err != nil {
		d.t.Fatal(err)
	}
	for _, c := range rec.Copies {
		d.track(c.PID)
	}
	if rec.ChildPID > 0 {
		d.track(rec.ChildPID)
	}
	return rec
}

// addr is the TCP address the record says the instance's first socket listens on.
func (d *daemon) addr() string {
	d.t.Helper()
	rec := d.record()
	if len(rec.Sockets) == 0 {
		d.t.Fatalf("record of %s has no sockets", d.name)
	}
	addr, ok := strings.CutPrefix(rec.Sockets[0], "tcp:")
	if !ok {
		d.t.Fatalf("record of %s: socket %q is not tcp", d.name, rec.Sockets[0])
	}
	return addr
}

// supervisor is the pid that holds the instance's pidfile: the supervisor.
func (d *daemon) supervisor() int {
	d.t.Helper()
	st, err := pidfile.Probe(filepath.Join(d.state, d.name+".pid"))
	if err != nil || st.State != pidfile.Running {
		d.t.Fatalf("%s is not running: %v %v", d.name, st.State, err)
	}
	return st.PID
}

// serving is the copy the record names as the one serving (child_pid).
func (d *daemon) serving() int {
	d.t.Helper()
	pid := d.record().ChildPID
	if pid <= 0 {
		d.t.Fatalf("record of %s names no serving copy", d.name)
	}
	return pid
}

// track remembers a copy by a pidfd, opened now, so that cleanup can kill it by pid.
func (d *daemon) track(pid int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.copies[pid]; ok || pid <= 0 {
		return
	}
	if p, err := proc.Open(pid); err == nil {
		d.copies[pid] = p
	}
}

// logTail is the last n lines of the instance's log.
func (d *daemon) logTail(n int) string {
	b, _ := os.ReadFile(filepath.Join(d.state, d.name+".log"))
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// cleanup stops the instance, then kills by pid whatever of it is left: the supervisor, and
// each copy seen with its process group. On a failure it shows the log's end.
func (d *daemon) cleanup() {
	if d.t.Failed() {
		d.t.Logf("last lines of %s's log:\n%s", d.name, d.logTail(60))
	}
	if st, err := pidfile.Probe(filepath.Join(d.state, d.name+".pid")); err == nil && st.State == pidfile.Running {
		d.run("stop", "--name", d.name, "--timeout", "20s")
		if st, err := pidfile.Probe(filepath.Join(d.state, d.name+".pid")); err == nil && st.State == pidfile.Running {
			killAndWait(d.t, st.PID)
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for pid, p := range d.copies {
		if err := p.Signal(0); err == nil {
			killGroup(pid)
			_ = p.Signal(syscall.SIGKILL)
			ctx, cancel := context.WithTimeout(context.Background(), testutil.Deadline)
			_ = p.Wait(ctx)
			cancel()
		}
		p.Close()
	}
	if b, err := os.ReadFile(filepath.Join(d.state, d.name+".log")); err == nil && bytes.Contains(b, []byte("WARNING: DATA RACE")) {
		d.t.Errorf("the daemon's log reports a data race:\n%s", b)
	}
}

// killGroup kills, each through a pidfd, the members of the process group pgid (a copy's
// own group), checking each is still one once its pidfd is open.
func killGroup(pgid int) {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == pgid {
			continue
		}
		if st, err := proc.ReadStat(pid); err != nil || st.PGRP != pgid {
			continue
		}
		p, err := proc.Open(pid)
		if err != nil {
			continue
		}
		if st, err := proc.ReadStat(pid); err == nil && st.PGRP == pgid {
			_ = p.Signal(syscall.SIGKILL)
		}
		p.Close()
	}
}

// killAndWait SIGKILLs pid through a pidfd and waits until it is gone.
func killAndWait(t *testing.T, pid int) {
	p, err := proc.Open(pid)
	if err != nil {
		return
	}
	defer p.Close()
	_ = p.Signal(syscall.SIGKILL)
	ctx, cancel := context.WithTimeout(context.Background(), testutil.Deadline)
	defer cancel()
	if err := p.Wait(ctx); err != nil {
		t.Logf("pid %d still there after SIGKILL: %v", pid, err)
	}
}

// alive reports whether pid runs (a zombie does not).
func alive(pid int) bool {
	ok, _ := proc.Running(pid)
	return ok
}

// settledFDs is fds once the daemon pid has set itself up wholly: it watches its pidfile
// (an inotify descriptor), which it begins only after it has said ready, so after start
// may have returned.
func settledFDs(t *testing.T, pid int) []string {
	t.Helper()
	var out []string
	testutil.WaitFor(t, "the daemon watching its pidfile", func() bool {
		out = fds(t, pid)
		return slices.ContainsFunc(out, func(fd string) bool { return strings.HasSuffix(fd, "anon_inode:inotify") })
	})
	return out
}

// fds lists the descriptors of pid, each with what it names.
func fds(t *testing.T, pid int) []string {
	t.Helper()
	dir := "/proc/" + strconv.Itoa(pid) + "/fd"
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		target, _ := os.Readlink(filepath.Join(dir, e.Name()))
		out = append(out, e.Name()+" -> "+target)
	}
	return out
}

// listenerNonblocking reports whether the listening TCP socket on port, as process pid
// holds it, is in non-blocking mode: the flag belongs to the socket's open file
// description, which every copy and the supervisor share.
func listenerNonblocking(t *testing.T, pid, port int) bool {
	t.Helper()
	inode := listenInode(t, port)
	dir := "/proc/" + strconv.Itoa(pid)
	entries, err := os.ReadDir(dir + "/fd")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if target, _ := os.Readlink(dir + "/fd/" + e.Name()); target != "socket:["+inode+"]" {
			continue
		}
		info, err := os.ReadFile(dir + "/fdinfo/" + e.Name())
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(info), "\n") {
			if v, ok := strings.CutPrefix(line, "flags:"); ok {
				flags, err := strconv.ParseUint(strings.TrimSpace(v), 8, 64)
				if err != nil {
					t.Fatalf("%s/fdinfo/%s: %q", dir, e.Name(), line)
				}
				return flags&syscall.O_NONBLOCK != 0
			}
		}
	}
	t.Fatalf("pid %d holds no descriptor of the socket listening on port %d", pid, port)
	return false
}

// listenInode is the inode of the socket listening on the loopback's TCP port.
func listenInode(t *testing.T, port int) string {
	t.Helper()
	b, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf(":%04X", port)
	for _, line := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) > 9 && strings.HasSuffix(f[1], want) && f[3] == "0A" { // 0A: LISTEN
			return f[9]
		}
	}
	t.Fatalf("no socket listens on port %d", port)
	return ""
}
