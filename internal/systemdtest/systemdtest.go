// Package systemdtest boots a real systemd for a test, guarded, inside new PID, mount, UTS,
// IPC and cgroup namespaces, so that the test can install a unit and drive it with systemctl
// for real; and it runs systemd-analyze verify on a unit file. It is for tests only, run as
// root on Linux: elsewhere, or without the privileges or the programs it needs, Boot skips
// the test and says why.
//
//	sd := systemdtest.Boot(t)              // torn down by t.Cleanup
//	sd.Install(t, "web.service", unit)     // + a DefaultDependencies=no drop-in, daemon-reload
//	out, err := sd.Systemctl(ctx, "start", "web.service")
//	state := sd.Show(t, "web.service", "ActiveState")
//	out, err = sd.Exec(ctx, "journalctl", "-u", "web.service", "--no-pager")
//	procs := sd.Procs(t)                   // the namespace's processes, by their pids there
//	systemdtest.Verify(t, "/path/to/web.service")
//
// A boot takes about 0.3s on an idle machine, and up to about a second on a busy one: systemd
// itself reports about 150ms, the rest is the setup's mounts, each a program to start.
//
// # Why guarded
//
// Booted plainly, systemd takes the machine it runs on for its own: sysinit's tmpfiles rule
// "D /tmp" empties the host's /tmp (the Go build cache and every test's files with it), and
// it applies sysctl settings and system users to the host, writes the host's journal, sets
// the hostname and the clock, loads kernel modules, triggers udev, and at shutdown remounts
// file systems read-only. Boot fences all of that off, several times over:
//
//   - Nothing of a normal boot starts. systemd boots into a target of the harness's
//     (systemdtest.target, DefaultDependencies=no) that wants journald and nothing else, and
//     every unit Install installs gets a DefaultDependencies=no drop-in, so that nothing
//     pulls in sysinit.target. The host's /etc/systemd is hidden (an empty tmpfs over it),
//     so the host's enabled units, overrides and settings do not apply; every unit
//     generator is masked.
//   - The targets of a normal boot (sysinit.target, basic.target, multi-user.target and the
//     like) and the units that act on the host are masked, by symbolic links to /dev/null in
//     /run/systemd/system (the list, with the reasons, is in setup_linux.go): a unit that
//     pulls one in fails to start instead.
//   - systemd runs in container mode ($container is set): it does not set the clock, load
//     security policies or kernel modules, log to the kernel's ring buffer, or unmount and
//     remount file systems at shutdown. And systemd-shutdown (and systemd-remount-fs) are
//     true(1) inside, so a shutdown inside (systemctl poweroff) ends the namespace and does
//     nothing else; the fences' mounts have drop-ins that keep systemd from unmounting them
//     on the way.
//   - What systemd writes lands in private places: the host's files, devices and kernel
//     settings are read-only inside, or not there at all; see below. The setup that builds
//     that checks first that it runs in new namespaces, and last that /, /run, /tmp and /dev
//     are what they should be, and stops the boot if not.
//   - The hardware watchdog is off, and systemd dumps no core.
//
// The fences stop systemd's own machinery. They do not make root inside less than root: a
// unit that sets out to (a remount of a host file system's superblock, a kernel module, a
// raw write to a shared host directory) still can. A user namespace would close that; the
// harness does not use one.
//
// Teardown kills that systemd, PID 1 of its namespace, by its pid (SIGKILL, which the
// kernel extends to every process of the namespace), waits until no process of the
// namespace is left, and removes the boot's cgroups. Boot registers it with t.Cleanup, so it
// runs when the test fails too (and logs the journal and the console first); [Systemd.Kill]
// runs it earlier. If the test process dies without its cleanups, its systemd is killed
// with it (a parent-death signal), and a later boot removes the cgroups left behind.
//
// # What the namespace sees
//
// The mount namespace is a private copy of the host's, with no propagation either way:
//
//   - The host's file system is there, read-only: every host mount is remounted read-only in
//     the copy. A unit's ExecStart finds the test's programs at their host paths.
//   - The test's temporary directories (t.TempDir of the t given to Boot, made before or after
//     Boot) are shared read-write: what the unit writes there the test reads on the host, and
//     the other way round. A subtest's t.TempDir is its own, and is not: share it, or any
//     other host path, with [Systemd.Share]. The test binary's directory is shared read-only.
//   - /run is the namespace's own tmpfs: systemd's sockets, the units Install writes, and
//     what a unit puts under /run (RuntimeDirectory=, a state directory) are there, not on
//     the host. The test reaches them with [Systemd.Path], or [Systemd.Exec].
//   - /tmp, /var/tmp, /var/lib/systemd, /var/log/journal and /etc/systemd are empty private
//     tmpfs mounts (the shares above excepted): the host's /tmp is out of systemd's reach.
//   - /dev is small and private: null, zero, full, random, urandom, tty, a new devpts, a
//     private /dev/shm, and a pseudo-terminal of the harness's as /dev/console, whose
//     output [Systemd.Console] returns. No disk, watchdog, kmsg or terminal of the host.
//   - /proc is the namespace's own, with /proc/sys, /proc/sysrq-trigger, /proc/irq and
//     /proc/bus read-only; /sys is a fresh read-only sysfs; /sys/fs/cgroup holds only the
//     boot's cgroups.
//   - The hostname (UTS) and System V IPC are the namespace's own. The network is the
//     host's: a unit's listening socket is reachable from the test as on the host, and a
//     unit can reach the test's.
//
// Cgroups are the one place a boot writes on the host: Boot makes a cgroup of its own below
// the test's (in the cgroup2 hierarchy, and in the v1 name=systemd one where the host has
// it), moves the namespace into it and roots a cgroup namespace there, so that systemd's
// whole cgroup tree is that cgroup's subtree; teardown removes it. Two boots at once do not
// see each other. Only those hierarchies are given to systemd, so resource-control settings
// (MemoryMax=, CPUQuota=, ...) may have no effect inside.
package systemdtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/daemonkit/daemonkit/internal/testutil"
)

// Target is the unit the namespace's systemd boots into: it wants journald and nothing else.
const Target = "systemdtest.target"

// guardDropIn is the drop-in Install adds to every unit it installs, named to sort after any
// drop-in of the test's own so that it has the last word.
const guardDropIn = "zz-systemdtest-guard.conf"

// A Systemd is a systemd booted by Boot, PID 1 of its own namespaces.
type Systemd struct {
	pid      int           // its pid as the host sees it
	pidNS    string        // its PID namespace, as /proc/PID/ns/pid names it: "pid:[N]"
	started  string        // its start time (field 22 of /proc/PID/stat), to tell a reused pid
	bootTime time.Duration // from the namespace's creation to "running"
	cmd      *exec.Cmd
	exited   chan struct{} // closed when cmd.Wait has returned
	waitErr  error         // cmd.Wait's error; read only after exited is closed
	setupOut *tailBuffer   // the setup script's output, before systemd took over
	console  *tailBuffer   // what systemd wrote to /dev/console
	script   string        // the setup script, for diagnostics
	cgroups  []string      // the cgroups made on the host for this boot
	closers  []func()      // the console's pseudo-terminal
	killOnce sync.Once
}

// PID is the host's pid of the namespace's systemd.
func (sd *Systemd) PID() int { return sd.pid }

// BootTime is how long the boot took, from the namespace's creation until systemd reported
// the system running.
func (sd *Systemd) BootTime() time.Duration { return sd.bootTime }

// Console is what systemd has written to its console so far: its own log (at level info)
// and its status lines. A unit's output is in its journal: sd.Exec(ctx, "journalctl", "-u",
// unit, "--no-pager").
func (sd *Systemd) Console() string {
	return strings.ReplaceAll(sd.console.String(), "\r", "")
}

// Path is the host's path to p in the namespace's file system: /proc/PID/root/p. Through it
// the test reads and writes the namespace's private files (under /run, say) directly. An
// absolute symbolic link met on the way is resolved on the host, not in the namespace.
func (sd *Systemd) Path(p string) string {
	return filepath.Join("/proc", strconv.Itoa(sd.pid), "root", filepath.Clean("/"+p))
}

// Command is name with args, to be run inside the namespace's PID, mount, UTS and IPC
// namespaces, by nsenter (it stays in the test's cgroups). Its environment is the test's,
// without a pager or colours. ctx kills nsenter; a program it started inside that outlives
// it goes with the namespace at the latest.
func (sd *Systemd) Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	nsArgs := append([]string{"--target", strconv.Itoa(sd.pid), "--pid", "--mount", "--uts", "--ipc", "--", name}, args...)
	cmd := exec.CommandContext(ctx, "nsenter", nsArgs...)
	cmd.Env = append(os.Environ(), "SYSTEMD_PAGER=", "PAGER=cat", "SYSTEMD_COLORS=0", "SYSTEMD_LOG_COLOR=0")
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// Exec runs name with args inside the namespace and returns its combined output; the error
// names the command and carries the output.
func (sd *Systemd) Exec(ctx context.Context, name string, args ...string) (string, error) {
	out, err := sd.Command(ctx, name, args...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s: %w: %s", strings.Join(append([]string{name}, args...), " "), err, bytes.TrimSpace(out))
	}
	return string(out), nil
}

// Systemctl runs systemctl with args against the namespace's systemd and returns its
// combined output. systemctl start returns when the start job is done: for Type=notify, once
// the service has sent READY=1, or with an error once it has failed.
func (sd *Systemd) Systemctl(ctx context.Context, args ...string) (string, error) {
	return sd.Exec(ctx, "systemctl", append([]string{"--no-pager"}, args...)...)
}

// Show returns unit's property prop (systemctl show --property=PROP --value), failing the
// test if systemctl does.
func (sd *Systemd) Show(t testing.TB, unit, prop string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testutil.Deadline)
	defer cancel()
	out, err := sd.Systemctl(ctx, "show", "--property="+prop, "--value", unit)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(out)
}

// unitName is what Install accepts as a unit's name: a base name with a unit type's suffix.
var unitName = regexp.MustCompile(`^[A-Za-z0-9:_.\\@-]+\.(service|socket|target|timer|path|mount|automount|swap|slice|scope|device)$`)

// Install writes text as the unit name in the namespace's /run/systemd/system, with a drop-in
// that sets DefaultDependencies=no (so that it does not pull in sysinit.target and the rest of
// a normal boot, which the harness does not run), and reloads systemd. Installing a name again
// replaces it. A unit the harness masks cannot be installed.
func (sd *Systemd) Install(t testing.TB, name, text string) {
	t.Helper()
	if !unitName.MatchString(name) {
		t.Fatalf("install unit %q: not a unit name", name)
	}
	dir := sd.Path("/run/systemd/system")
	if err := writeNoFollow(filepath.Join(dir, name), text); errors.Is(err, syscall.ELOOP) {
		t.Fatalf("install unit %s: the harness masks it", name)
	} else if err != nil {
		t.Fatalf("install unit %s: %v", name, err)
	}
	dropIns := filepath.Join(dir, name+".d")
	if err := os.Mkdir(dropIns, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		t.Fatalf("install unit %s: %v", name, err)
	}
	if fi, err := os.Lstat(dropIns); err != nil || !fi.IsDir() {
		t.Fatalf("install unit %s: %s is not a directory (%v)", name, dropIns, err)
	}
	guard := "# Added by systemdtest: the harness boots no sysinit.target, basic.target or\n" +
		"# shutdown.target, and a unit under test must not pull them in.\n" +
		"[Unit]\nDefaultDependencies=no\n"
	if err := writeNoFollow(filepath.Join(dropIns, guardDropIn), guard); err != nil {
		t.Fatalf("install unit %s: %v", name, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testutil.Deadline)
	defer cancel()
	if _, err := sd.Systemctl(ctx, "daemon-reload"); err != nil {
		t.Fatal(err)
	}
}

// writeNoFollow writes text to path, refusing to follow a symbolic link there (a unit masked
// by the harness is one, to /dev/null).
func writeNoFollow(path, text string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|noFollow, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// A Proc is a process of the namespace.
type Proc struct {
	PID     int      // as the namespace sees it
	Cmdline []string // its arguments; empty for a zombie
}

// Procs lists the processes of the namespace, read from its own /proc, in pid order. A
// command the test runs inside (by Exec) shows while it runs.
func (sd *Systemd) Procs(t testing.TB) []Proc {
	t.Helper()
	entries, err := os.ReadDir(sd.Path("/proc"))
	if err != nil {
		t.Fatalf("list the namespace's processes: %v", err)
	}
	var procs []Proc
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		raw, err := os.ReadFile(sd.Path(fmt.Sprintf("/proc/%d/cmdline", pid)))
		if err != nil {
			continue // gone meanwhile
		}
		var args []string
		if s := strings.TrimSuffix(string(raw), "\x00"); s != "" {
			args = strings.Split(s, "\x00")
		}
		procs = append(procs, Proc{PID: pid, Cmdline: args})
	}
	sort.Slice(procs, func(i, j int) bool { return procs[i].PID < procs[j].PID })
	return procs
}

// Verify runs systemd-analyze verify on the unit file at path, on the host (it boots
// nothing), and fails the test with its output if it finds anything wrong with that unit: an
// unknown or bad setting, or an ExecStart= whose program does not exist, so the programs a
// unit names must be in place first. Problems of the units it depends on are not its concern.
// It skips the test if systemd-analyze is missing.
func Verify(t testing.TB, path string) {
	t.Helper()
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Skipf("systemdtest: cannot verify units: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testutil.Deadline)
	defer cancel()
	if out, err := verify(ctx, path); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
}

// verify runs systemd-analyze verify on path: its output, and an error if it found anything.
// --recursive-errors=no fails on a warning about this unit and not its dependencies (without
// the option, verify exits 0 whatever it found); --man=no skips looking up its man pages.
func verify(ctx context.Context, path string) (string, error) {
	cmd := exec.CommandContext(ctx, "systemd-analyze", "verify", "--man=no", "--recursive-errors=no", path)
	cmd.Env = append(os.Environ(), "SYSTEMD_PAGER=", "SYSTEMD_COLORS=0", "SYSTEMD_LOG_COLOR=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("systemd-analyze verify %s: %w", path, err)
	}
	return string(out), nil
}

// tailBuffer keeps the last max bytes written to it; it is safe for concurrent use.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
	max int
}

func newTailBuffer(max int) *tailBuffer { return &tailBuffer{max: max} }

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.max; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
