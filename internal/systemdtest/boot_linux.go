package systemdtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"github.com/daemonkit/daemonkit/internal/testutil"
)

const noFollow = syscall.O_NOFOLLOW

// Share makes host paths (directories or files) reachable read-write in the namespace, at
// the same paths, where they are otherwise hidden (under /tmp and /var/tmp) or read-only: a
// subtest's t.TempDir, say, or a directory made with os.MkdirTemp. It works at any time
// after Boot; a path already mounted over inside is covered. The test's own temporary
// directories need no Share. Paths under /run, /proc, /sys and /dev cannot be shared.
func (sd *Systemd) Share(t testing.TB, paths ...string) {
	t.Helper()
	for _, p := range paths {
		s, err := newShare(p, false)
		if err == nil {
			err = sd.share(s)
		}
		if err != nil {
			t.Fatalf("systemdtest: %v", err)
		}
	}
}

// share clones the host's mount tree at s.path (open_tree, in the test's mount namespace) and
// moves it, by its descriptor, onto the same path inside (mount --move, run in the
// namespace's mount namespace), making the mount point first.
func (sd *Systemd) share(s share) error {
	fd, err := unix.OpenTree(unix.AT_FDCWD, s.path, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_RECURSIVE)
	if err != nil {
		return fmt.Errorf("share %s: open_tree: %w", s.path, err)
	}
	tree := os.NewFile(uintptr(fd), s.path)
	defer tree.Close()
	mkpoint := `mkdir -p -- "$1"`
	if !s.dir {
		mkpoint = `mkdir -p -- "$(dirname -- "$1")" && { [ -e "$1" ] || touch -- "$1"; }`
	}
	if err := writeKeepMounted(sd.Path("/run"), s.path); err != nil {
		return fmt.Errorf("share %s: %w", s.path, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testutil.Deadline)
	defer cancel()
	cmd := sd.Command(ctx, "sh", "-c", mkpoint+` && exec mount --no-canonicalize --move /proc/self/fd/3 "$1"`, "sh", s.path)
	cmd.ExtraFiles = []*os.File{tree} // fd 3
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("share %s: %w: %s", s.path, err, bytes.TrimSpace(out))
	}
	return nil
}

func newShare(p string, readOnly bool) (share, error) {
	if !filepath.IsAbs(p) {
		return share{}, fmt.Errorf("share %q: not an absolute path", p)
	}
	resolved, err := filepath.EvalSymlinks(p)
	if err != nil {
		return share{}, fmt.Errorf("share %q: %w", p, err)
	}
	for _, r := range replaced {
		if under(resolved, r) {
			return share{}, fmt.Errorf("share %q: %s is the namespace's own", p, r)
		}
	}
	if resolved == "/" {
		return share{}, fmt.Errorf("share %q: the whole file system", p)
	}
	fi, err := os.Stat(resolved)
	if err != nil {
		return share{}, fmt.Errorf("share %q: %w", p, err)
	}
	return share{path: resolved, dir: fi.IsDir(), readOnly: readOnly}, nil
}

// Boot boots a systemd, guarded (see the package's documentation), as PID 1 of new PID,
// mount, UTS, IPC and cgroup namespaces, and returns once it reports the system running. Its
// teardown (Kill) is registered with t.Cleanup. Boot skips the test, saying why, where it
// cannot work: not Linux, not root, a program missing (systemd, systemctl, nsenter, unshare,
// mount), or no permission to make the namespaces, mounts or cgroups. It fails the test if
// systemd fails to boot otherwise, with its console's output.
func Boot(t testing.TB) *Systemd {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("systemdtest: booting systemd needs root")
	}
	systemd := ""
	for _, p := range []string{"/lib/systemd/systemd", "/usr/lib/systemd/systemd"} {
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			systemd = p
			break
		}
	}
	if systemd == "" {
		t.Skip("systemdtest: systemd is not installed (no /lib/systemd/systemd)")
	}
	for _, prog := range []string{"sh", "mount", "umount", "mountpoint", "cp", "env", "unshare", "nsenter", "systemctl"} {
		if _, err := exec.LookPath(prog); err != nil {
			t.Skipf("systemdtest: %v", err)
		}
	}

	seed := t.TempDir()
	// The test's temporary directories all live in seed's parent, made by t.TempDir; and
	// the test binary's directory, read-only.
	var shares []share
	if s, err := newShare(filepath.Dir(seed), false); err == nil {
		shares = append(shares, s)
	}
	if exe, err := os.Executable(); err == nil {
		if s, err := newShare(filepath.Dir(exe), true); err == nil {
			shares = append(shares, s)
		}
	}
	shares = nestedOut(shares)
	programs, trueBin, err := neutered()
	if err != nil {
		t.Skipf("systemdtest: %v", err)
	}
	kept := slices.Clone(programs)
	for _, p := range private {
		kept = append(kept, p.dir)
	}
	for _, s := range shares {
		kept = append(kept, s.path)
	}
	if err := writeSeed(seed, kept); err != nil {
		t.Fatalf("systemdtest: write the namespace's /run: %v", err)
	}

	mounts, err := mountInfo()
	if err != nil {
		t.Fatalf("systemdtest: %v", err)
	}
	cgroups, err := makeCgroups(mounts)
	if err != nil {
		if errors.Is(err, errNoCgroups) || errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EROFS) {
			t.Skipf("systemdtest: cannot make a cgroup for systemd: %v", err)
		}
		t.Fatalf("systemdtest: %v", err)
	}
	sd := &Systemd{
		exited:   make(chan struct{}),
		setupOut: newTailBuffer(64 << 10),
		console:  newTailBuffer(1 << 20),
		cgroups:  make([]string, len(cgroups)),
	}
	for i, c := range cgroups {
		sd.cgroups[i] = c.dir
	}
	// Registered before anything can be left behind: from here on, Kill undoes what there is.
	t.Cleanup(func() { sd.Kill(t) })

	// The console: systemd's log and status lines, read into sd.console.
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Fatalf("systemdtest: open a pty for the console: %v", err)
	}
	consoleDone := make(chan struct{})
	go func() {
		defer close(consoleDone)
		_, _ = io.Copy(sd.console, ptmx) // ends with EIO once the namespace, the last user of tty, is gone
	}()
	sd.closers = append(sd.closers, func() {
		tty.Close()
		select {
		case <-consoleDone:
		case <-time.After(5 * time.Second):
		}
		ptmx.Close()
		<-consoleDone
	})

	l := layout{
		neutered: programs,
		trueBin:  trueBin,
		hostPID:  os.Getpid(),
		seed:     seed,
		console:  tty.Name(),
		cgroups:  cgroups,
		shares:   shares,
		readOnly: hostReadOnly(mounts),
		systemd:  systemd,
		systemdEnv: []string{
			"container=systemdtest", // container mode: see the package's documentation
			"TERM=dumb", "SYSTEMD_COLORS=0",
		},
		systemdArg: []string{
			"--system", "--unit=" + Target, "--log-target=console", "--log-level=info",
			"--log-color=no", "--show-status=yes", "--dump-core=no", "--crash-reboot=no",
		},
	}
	sd.script = l.script()

	cmd := exec.Command("sh", "-c", sd.script)
	cmd.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"}
	cmd.Dir = "/"
	cmd.Stdout = sd.setupOut
	cmd.Stderr = sd.setupOut
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:   syscall.CLONE_NEWPID | syscall.CLONE_NEWUTS | syscall.CLONE_NEWIPC,
		Unshareflags: syscall.CLONE_NEWNS, // and Go makes every mount private to it, first
		Setsid:       true,                // away from the test's terminal and its signals
		Pdeathsig:    syscall.SIGKILL,     // dies with the test process, if that dies first
	}
	sd.cmd = cmd
	begin := time.Now()
	if err := cmd.Start(); err != nil {
		if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EINVAL) {
			t.Skipf("systemdtest: cannot make the namespaces: %v", err)
		}
		t.Fatalf("systemdtest: start: %v", err)
	}
	sd.pid = cmd.Process.Pid
	// Read while the process cannot have been reaped yet, so the pid is surely its.
	if ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", sd.pid)); err == nil {
		sd.pidNS = ns
	}
	sd.started = startTime(sd.pid)
	go func() {
		sd.waitErr = cmd.Wait()
		close(sd.exited)
	}()

	if err := sd.waitRunning(); err != nil {
		out := sd.setupOut.String()
		select {
		case <-sd.exited:
			if strings.Contains(out, "ermission denied") || strings.Contains(out, "peration not permitted") {
				t.Skipf("systemdtest: no permission to set the namespace up: %v\n%s", err, out)
			}
		default:
		}
		t.Fatalf("systemdtest: boot: %v\nsetup output:\n%s\nconsole:\n%s\nsetup script:\n%s", err, out, sd.Console(), sd.script)
	}
	sd.bootTime = time.Since(begin)
	t.Logf("systemdtest: systemd booted in %v, pid %d, %s", sd.bootTime.Round(time.Millisecond), sd.pid, sd.pidNS)
	return sd
}

// nestedOut drops each share below another: it is reachable through that one, whose mode wins.
func nestedOut(shares []share) []share {
	var out []share
	for i, s := range shares {
		inside := false
		for j, o := range shares {
			if i != j && o.dir && under(s.path, o.path) && (s.path != o.path || j < i) {
				inside = true
			}
		}
		if !inside {
			out = append(out, s)
		}
	}
	return out
}

// waitRunning waits until the namespace's systemd has finished booting, and checks that
// it reports the system running.
func (sd *Systemd) waitRunning() error {
	ctx, cancel := context.WithTimeout(context.Background(), testutil.Deadline)
	defer cancel()
	exited := func() error {
		select {
		case <-sd.exited:
			return fmt.Errorf("the namespace's PID 1 exited: %v", sd.waitErr)
		default:
			return nil
		}
	}
	// Only once PID 1 has become systemd is its /run the private one, where the socket
	// systemctl needs appears.
	for backoff := time.Millisecond; ; backoff = min(2*backoff, 20*time.Millisecond) {
		if err := exited(); err != nil {
			return err
		}
		comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", sd.pid))
		if strings.TrimSpace(string(comm)) == "systemd" {
			if _, err := os.Stat(sd.Path("/run/systemd/private")); err == nil {
				break
			}
		}
		if ctx.Err() != nil {
			return fmt.Errorf("no /run/systemd/private after %v", testutil.Deadline)
		}
		time.Sleep(backoff) // a polling step
	}
	out, err := sd.Systemctl(ctx, "is-system-running", "--wait")
	state := strings.TrimSpace(out)
	if state == "running" {
		return nil
	}
	if e := exited(); e != nil {
		return e
	}
	failed, _ := sd.Systemctl(ctx, "--failed", "--all")
	return fmt.Errorf("system state %q (%v), failed units:\n%s", state, err, failed)
}

// startTime is field 22 of /proc/PID/stat: the process's start time, which tells it from
// another process that reuses its pid later.
func startTime(pid int) string {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	s := string(stat)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		s = s[i+1:]
	}
	f := strings.Fields(s)
	if len(f) < 20 {
		return ""
	}
	return f[19] // fields from 3 on; 22 is the 20th of them
}

// Kill tears the namespace down, as Boot's cleanup does (this runs once; the cleanup then does
// nothing): it kills the namespace's systemd by its pid with SIGKILL, which kills every
// process of the namespace, waits until the systemd has been reaped and no process of the
// namespace is left, and removes the boot's cgroups. If the test has failed by then, it first
// logs the console and the journal.
func (sd *Systemd) Kill(t testing.TB) {
	t.Helper()
	sd.killOnce.Do(func() {
		begin := time.Now()
		defer func() {
			for _, c := range sd.closers {
				c()
			}
		}()
		if sd.cmd != nil && sd.cmd.Process != nil {
			alive := true
			select {
			case <-sd.exited:
				alive = false
			default:
			}
			if alive && t.Failed() && sd.bootTime > 0 {
				sd.logDiagnostics(t)
			}
			// os.Process.Kill signals through a pidfd where the kernel has them, and the
			// process is not reaped before Wait: the pid cannot name another process here.
			if err := sd.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
				t.Errorf("systemdtest: kill systemd, pid %d: %v", sd.pid, err)
			}
			select {
			case <-sd.exited:
			case <-time.After(testutil.Deadline):
				t.Errorf("systemdtest: systemd, pid %d, not gone %v after SIGKILL", sd.pid, testutil.Deadline)
				return
			}
			if err := sd.waitNamespaceGone(); err != nil {
				t.Error(err)
			}
		}
		var cgroups []cgroupBind
		for _, dir := range sd.cgroups {
			cgroups = append(cgroups, cgroupBind{dir: dir})
		}
		if err := removeCgroups(cgroups); err != nil {
			t.Errorf("systemdtest: %v", err)
		}
		if sd.pid != 0 {
			t.Logf("systemdtest: systemd %d killed, its namespace and cgroups gone in %v", sd.pid, time.Since(begin).Round(time.Millisecond))
		}
	})
}

// waitNamespaceGone waits until no process on the host is in the namespace's PID namespace.
// Once its PID 1 has been reaped that is so already (the kernel kills and reaps the rest
// first); this checks it.
func (sd *Systemd) waitNamespaceGone() error {
	if sd.pidNS == "" {
		return nil
	}
	end := time.Now().Add(testutil.Deadline)
	for backoff := time.Millisecond; ; backoff = min(2*backoff, 50*time.Millisecond) {
		left := sd.namespaceProcs()
		if len(left) == 0 {
			return nil
		}
		if time.Now().After(end) {
			return fmt.Errorf("systemdtest: processes %v still in %s %v after its systemd was killed", left, sd.pidNS, testutil.Deadline)
		}
		time.Sleep(backoff) // a polling step
	}
}

// namespaceProcs lists the host pids of the processes in the namespace's PID namespace.
func (sd *Systemd) namespaceProcs() []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", pid)); err == nil && ns == sd.pidNS {
			pids = append(pids, pid)
		}
	}
	return pids
}

// Gone reports whether the namespace's systemd and every process of its namespace have gone
// from the host: its pid names no process, or another one (started later), and no process is
// in its PID namespace.
func (sd *Systemd) Gone() bool {
	if len(sd.namespaceProcs()) > 0 {
		return false
	}
	st := startTime(sd.pid)
	return st == "" || (sd.started != "" && st != sd.started)
}

// logDiagnostics logs what helps with a failed test: the journal and the console.
func (sd *Systemd) logDiagnostics(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	journal, err := sd.Exec(ctx, "journalctl", "--no-pager", "-b", "-n", "300", "-o", "short-monotonic")
	if err != nil {
		journal += err.Error()
	}
	t.Logf("systemdtest: the test failed; the namespace's journal (last 300 lines):\n%s\nits console:\n%s", journal, sd.Console())
}
