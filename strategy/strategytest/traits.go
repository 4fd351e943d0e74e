//go:build linux

package strategytest

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/daemonkit/daemonkit/pidfile"
	"github.com/daemonkit/daemonkit/strategy"
)

// sigHUPBit is SIGHUP's bit in a /proc/PID/status signal mask.
const sigHUPBit = 1 << (syscall.SIGHUP - 1)

// CheckTraits checks that the strategy registered as name declares want and really leaves
// a daemon so, as /proc shows it: launched from a separate process that has a controlling
// terminal and a leaked descriptor, once with the default working directory and once with
// an explicit one. It is what a strategy's own test calls, with what its documentation
// promises; the test binary's TestMain must call Main.
func CheckTraits(t *testing.T, name string, want strategy.Traits) {
	d, err := strategy.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	if d.Traits != want {
		t.Errorf("%s registers traits %+v, want %+v", name, d.Traits, want)
	}
	if d.Summary == "" || strings.Contains(d.Summary, "\n") {
		t.Errorf("%s summary %q: want one line", name, d.Summary)
	}
	t.Run("default workdir", func(t *testing.T) { checkLaunch(t, name, want, "") })
	t.Run("explicit workdir", func(t *testing.T) { checkLaunch(t, name, want, t.TempDir()) })
}

func checkLaunch(t *testing.T, name string, want strategy.Traits, workdir string) {
	e := New(t)
	callerDir := t.TempDir()
	var flags []string
	if want.IgnoresHUP {
		flags = append(flags, "-ignore-hup")
	}
	spec := e.Spec(flags...)
	spec.Argv0 = "fake-argv0-" + name
	spec.Env = append(spec.Env, "FAKEDAEMON_ENV="+e.Mark)
	spec.Dir = workdir
	l := LaunchFromTerminal(t, name, callerDir, spec)
	if l.Err != "" {
		t.Fatalf("Launch: %s\nits log:\n%s", l.Err, l.LaunchLogTxt)
	}
	pid := l.Result.PID
	p := strconv.Itoa(pid)
	t.Logf("launcher %d, daemon %d", l.PID, pid)

	if l.Result.Listen != "fake:0" {
		t.Errorf("Listen = %q, want fake:0", l.Result.Listen)
	}
	if st, err := pidfile.Probe(e.PIDFile); err != nil || st.State != pidfile.Running || st.PID != pid {
		t.Errorf("pidfile: %+v, %v; want held by %d", st, err, pid)
	}
	if l.Stat.TTY == 0 {
		t.Fatal("the launching helper has no controlling terminal")
	}
	if !l.LeakOpen {
		t.Fatal("the launching helper did not inherit the leaked descriptor")
	}
	if !l.LeakCloexec {
		t.Error("Launch left the leaked descriptor inheritable in the launcher")
	}

	ds, err := proc.ReadStat(pid)
	if err != nil {
		t.Fatal(err)
	}
	if got := ds.SID != l.Stat.SID; got != want.NewSession {
		t.Errorf("new session = %v (sid %d, caller's %d), want %v", got, ds.SID, l.Stat.SID, want.NewSession)
	}
	if got := ds.SID == pid; got != want.SessionLeader {
		t.Errorf("session leader = %v (sid %d), want %v", got, ds.SID, want.SessionLeader)
	}
	if ds.PGRP == l.Stat.PGRP {
		t.Errorf("daemon is in the caller's process group %d", ds.PGRP)
	}
	wantTTY := 0
	if want.KeepsTerminal {
		wantTTY = l.Stat.TTY
	}
	if ds.TTY != wantTTY {
		t.Errorf("tty_nr = %#x, want %#x (caller's %#x)", ds.TTY, wantTTY, l.Stat.TTY)
	}
	if ds.SID != pid && ds.SID != l.Stat.SID { // re-exec: the session's leader was the intermediate
		if ds.PPID == ds.SID {
			t.Errorf("daemon's parent is the intermediate %d", ds.PPID)
		}
		if !Gone(t, ds.SID) {
			t.Errorf("the intermediate %d (the session leader) is still running", ds.SID)
		}
	}

	ign, err := proc.SignalMask(proc.StatusPath(pid), "SigIgn")
	if err != nil {
		t.Fatal(err)
	}
	if l.SigIgn&sigHUPBit != 0 {
		t.Fatalf("the launching helper ignores SIGHUP (SigIgn %#x)", l.SigIgn)
	}
	wantIgn := l.SigIgn // 0 unless the test runs with signals ignored
	if want.IgnoresHUP {
		wantIgn |= sigHUPBit
	}
	if ign != wantIgn {
		t.Errorf("SigIgn = %#x, want %#x", ign, wantIgn)
	}

	e.WaitLog(t, "fake daemon "+p+": ready") // it has closed its end of the handshake
	if !l.HUPHandled {
		t.Error("the launching process lost its own SIGHUP handler in Launch")
	}
	checkFDs(t, p, e, l.Leak)

	wantCwd := workdir
	if wantCwd == "" {
		wantCwd = want.DefaultDir
	}
	if wantCwd == "" {
		wantCwd = callerDir
	}
	if cwd, err := os.Readlink("/proc/" + p + "/cwd"); err != nil || cwd != wantCwd {
		t.Errorf("cwd = %q, %v; want %q", cwd, err, wantCwd)
	}
	if env, err := ReadEnviron(p); err != nil || !slices.Contains(env, "FAKEDAEMON_ENV="+e.Mark) {
		t.Errorf("environment lacks FAKEDAEMON_ENV=%s: %v", e.Mark, err)
	}
	wantArgv := append([]string{spec.Argv0}, spec.Args...)
	if argv, err := Cmdline(p); err != nil || !slices.Equal(argv, wantArgv) {
		t.Errorf("argv = %q, %v; want %q", argv, err, wantArgv)
	}

	// The launcher exits and its terminal is closed: the daemon is reparented, and lives on.
	if err := l.Exit(); err != nil {
		t.Errorf("launching helper: %v", err)
	}
	ds, err = proc.ReadStat(pid)
	if err != nil {
		t.Fatal(err)
	}
	ancestors, err := Ancestors()
	if err != nil {
		t.Fatal(err)
	}
	if ds.PPID == l.PID || !(ds.PPID == 1 || ancestors[ds.PPID]) {
		t.Errorf("after the launcher %d exited, the daemon's parent is %d: want 1 or a subreaper above the launcher", l.PID, ds.PPID)
	}
	stopGracefully(t, e, pid)
}

// checkFDs checks that pid has /dev/null as stdin, the log as stdout and stderr, its own
// pidfile, and nothing else but the Go runtime's own descriptors.
func checkFDs(t *testing.T, p string, e *Env, leak string) {
	t.Helper()
	fds, err := FDs(p)
	if err != nil {
		t.Fatal(err)
	}
	for fd, want := range map[int]string{0: os.DevNull, 1: e.Log, 2: e.Log} {
		if fds[fd] != want {
			t.Errorf("descriptor %d is %q, want %q", fd, fds[fd], want)
		}
	}
	pidfileSeen := false
	for fd, target := range fds {
		switch {
		case fd <= 2:
		case target == e.PIDFile:
			pidfileSeen = true
		case target == leak:
			t.Errorf("descriptor %d: the launcher's leaked descriptor reached the daemon", fd)
		case strings.HasPrefix(target, "anon_inode:"): // the Go runtime's epoll and eventfd
		case strings.HasPrefix(target, "/sys/fs/cgroup/"): // the Go runtime's CPU limit (GOMAXPROCS)
		default:
			t.Errorf("descriptor %d is %q: want none but 0-2, the pidfile and the runtime's", fd, target)
		}
	}
	if !pidfileSeen {
		t.Errorf("the daemon does not hold its pidfile %s open: %v", filepath.Base(e.PIDFile), fds)
	}
}

// stopGracefully sends SIGTERM to the fake daemon pid and waits until it is gone; it must
// have removed its pidfile, which it does only if it is alive to handle SIGTERM.
func stopGracefully(t *testing.T, e *Env, pid int) {
	t.Helper()
	h, err := proc.Open(pid)
	if err != nil {
		t.Fatalf("daemon %d did not survive: %v", pid, err)
	}
	defer h.Close()
	if err := h.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := h.Wait(ctx); err != nil {
		t.Fatalf("daemon %d did not stop on SIGTERM: %v", pid, err)
	}
	Reap(pid)
	if _, err := os.Lstat(e.PIDFile); !os.IsNotExist(err) {
		t.Errorf("pidfile after a graceful stop: %v; want it removed", err)
	}
}
