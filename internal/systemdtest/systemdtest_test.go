//go:build linux

package systemdtest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/daemonkit/daemonkit/internal/testutil"
)

// notifyUnit is ready 0.3s after it starts, then sleeps until stopped.
const notifyUnit = `[Unit]
Description=systemdtest self-test: ready after 0.3s

[Service]
Type=notify
NotifyAccess=all
ExecStart=/bin/sh -c 'sleep 0.3; systemd-notify --ready; exec sleep 1000'
`

// failingUnit exits at once, never ready.
const failingUnit = `[Unit]
Description=systemdtest self-test: exits at once

[Service]
Type=notify
ExecStart=/bin/false
`

// TestBoot boots a systemd and drives a unit through it: the sentinel in the host's /tmp and
// the host's settings survive the boot and the teardown, the fences hold, systemctl start
// returns only once a Type=notify unit is ready, stop leaves no process of it, a unit that
// exits at once fails to start, and after the teardown nothing of the namespace is left.
func TestBoot(t *testing.T) {
	sentinel, want := hostSentinel(t)
	before := hostState(t)

	sd := Boot(t)
	shared := t.TempDir() // made after Boot, and shared all the same
	ctx, cancel := context.WithTimeout(context.Background(), testutil.Deadline)
	defer cancel()

	t.Run("fences", func(t *testing.T) {
		checkNamespaces(t, sd)
		checkMasked(t, sd)
		// The host's /tmp is out of reach; the test's temporary directory is shared.
		if out, err := sd.Exec(ctx, "test", "-e", sentinel); err == nil {
			t.Errorf("the host's %s is visible inside: %s", sentinel, out)
		}
		checkShared(t, sd, shared)
		// A subtest's temporary directory is its own: not shared until it is asked to be.
		sub := t.TempDir()
		if out, err := sd.Exec(ctx, "test", "-e", sub); err == nil {
			t.Errorf("the subtest's %s is visible inside without Share: %s", sub, out)
		}
		sd.Share(t, sub)
		checkShared(t, sd, sub)
		// The host's file system is read-only inside. (If it were not, the probe is removed.)
		probe := fmt.Sprintf("/systemdtest-probe-%d", os.Getpid())
		t.Cleanup(func() { os.Remove(probe) })
		if _, err := sd.Exec(ctx, "touch", probe); err == nil {
			t.Errorf("created %s on the host's root from inside", probe)
		}
		// So are the kernel's settings: this writes the value the host has, to be harmless
		// if it did get through.
		qlen, err := os.ReadFile("/proc/sys/net/unix/max_dgram_qlen")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sd.Exec(ctx, "sh", "-c", "echo "+strings.TrimSpace(string(qlen))+" > /proc/sys/net/unix/max_dgram_qlen"); err == nil {
			t.Errorf("wrote /proc/sys from inside")
		}
		// The host's units, overrides and settings in /etc/systemd do not apply.
		if host, _ := filepath.Glob("/etc/systemd/system/*.service"); len(host) > 0 {
			name := filepath.Base(host[0])
			if state := sd.Show(t, name, "LoadState"); state != "not-found" {
				t.Errorf("the host's %s is %s inside, want not-found", name, state)
			}
		}
	})

	t.Run("notify", func(t *testing.T) {
		sd.Install(t, "notify-ok.service", notifyUnit)
		if after := sd.Show(t, "notify-ok.service", "After"); strings.Contains(after, "sysinit.target") || strings.Contains(after, "basic.target") {
			t.Errorf("After=%s: the DefaultDependencies=no drop-in did not apply", after)
		}
		if dropIns := sd.Show(t, "notify-ok.service", "DropInPaths"); !strings.Contains(dropIns, guardDropIn) {
			t.Errorf("DropInPaths=%s, want %s", dropIns, guardDropIn)
		}

		begin := time.Now()
		if _, err := sd.Systemctl(ctx, "start", "notify-ok.service"); err != nil {
			t.Fatal(err)
		}
		// start waited for READY=1, sent after the 0.3s sleep: a lower bound, not a speed target.
		if took := time.Since(begin); took < 300*time.Millisecond {
			t.Errorf("systemctl start returned after %v, before the service was ready", took)
		}
		if state := sd.Show(t, "notify-ok.service", "ActiveState"); state != "active" {
			t.Fatalf("ActiveState=%s right after start returned, want active", state)
		}
		mainPID, err := strconv.Atoi(sd.Show(t, "notify-ok.service", "MainPID"))
		if err != nil || mainPID <= 0 {
			t.Fatalf("MainPID %d, %v", mainPID, err)
		}
		// Ready came from systemd-notify; the shell execs sleep 1000 just after.
		testutil.WaitFor(t, "the main process to exec sleep 1000", func() bool {
			return slices.Equal(sleep1000(t, sd), []int{mainPID})
		})
		// Its processes are in the boot's cgroup, as the host sees it.
		procs, err := os.ReadFile(filepath.Join(sd.cgroups[0], "system.slice", "notify-ok.service", "cgroup.procs"))
		if err != nil || len(bytes.Fields(procs)) == 0 {
			t.Errorf("the service's cgroup under %s: %q, %v", sd.cgroups[0], procs, err)
		}

		if _, err := sd.Systemctl(ctx, "stop", "notify-ok.service"); err != nil {
			t.Fatal(err)
		}
		if pid := sd.Show(t, "notify-ok.service", "MainPID"); pid != "0" {
			t.Errorf("MainPID=%s after stop, want 0", pid)
		}
		if state := sd.Show(t, "notify-ok.service", "ActiveState"); state != "inactive" {
			t.Errorf("ActiveState=%s after stop, want inactive", state)
		}
		// By its pid, in the namespace's /proc: from inside (nsenter), and from the host.
		if out, err := sd.Exec(ctx, "test", "-e", fmt.Sprintf("/proc/%d", mainPID)); err == nil {
			t.Errorf("the main process, pid %d in the namespace, is still there after stop: %s", mainPID, out)
		}
		if _, err := os.Stat(sd.Path(fmt.Sprintf("/proc/%d", mainPID))); err == nil {
			t.Errorf("the main process, pid %d in the namespace, is still in its /proc after stop", mainPID)
		}
		if left := sleep1000(t, sd); len(left) > 0 {
			t.Errorf("sleep 1000 processes %v left after stop", left)
		}
	})

	t.Run("fails at once", func(t *testing.T) {
		sd.Install(t, "notify-false.service", failingUnit)
		if out, err := sd.Systemctl(ctx, "start", "notify-false.service"); err == nil {
			t.Fatalf("systemctl start of a unit that exits at once succeeded: %s", out)
		}
		if state := sd.Show(t, "notify-false.service", "ActiveState"); state != "failed" {
			t.Errorf("ActiveState=%s, want failed", state)
		}
		if result := sd.Show(t, "notify-false.service", "Result"); result != "exit-code" {
			t.Errorf("Result=%s, want exit-code", result)
		}
	})

	t.Run("journal", func(t *testing.T) {
		sd.Install(t, "hello.service", "[Service]\nType=oneshot\nExecStart=/bin/echo systemdtest-hello\n")
		if _, err := sd.Systemctl(ctx, "start", "hello.service"); err != nil {
			t.Fatal(err)
		}
		testutil.WaitFor(t, "the unit's output in its journal", func() bool {
			out, err := sd.Exec(ctx, "journalctl", "--no-pager", "-u", "hello.service")
			return err == nil && strings.Contains(out, "systemdtest-hello")
		})
	})

	t.Run("masked units cannot be installed", func(t *testing.T) {
		if err := writeNoFollow(filepath.Join(sd.Path("/run/systemd/system"), "systemd-tmpfiles-setup.service"), "[Service]\n"); err == nil {
			t.Error("wrote over the mask of systemd-tmpfiles-setup.service")
		}
	})

	pid := sd.PID()
	sd.Kill(t)
	if !sd.Gone() {
		t.Errorf("after Kill, the namespace of systemd %d is not gone", pid)
	}
	for _, dir := range sd.cgroups {
		if _, err := os.Stat(dir); err == nil {
			t.Errorf("cgroup %s left after Kill", dir)
		}
	}
	if got, err := os.ReadFile(sentinel); err != nil || string(got) != want {
		t.Errorf("the sentinel %s in the host's /tmp after the boot: %q, %v; want %q", sentinel, got, err, want)
	}
	if after := hostState(t); after != before {
		t.Errorf("the host's state changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// TestTwoAtOnce boots two systemds side by side, as parallel tests may: each has its own
// units, processes and cgroups, and stopping one's unit leaves the other's running.
func TestTwoAtOnce(t *testing.T) {
	a, b := Boot(t), Boot(t)
	ctx, cancel := context.WithTimeout(context.Background(), testutil.Deadline)
	defer cancel()
	for _, sd := range []*Systemd{a, b} {
		sd.Install(t, "same.service", notifyUnit)
		if _, err := sd.Systemctl(ctx, "start", "same.service"); err != nil {
			t.Fatal(err)
		}
	}
	if a.cgroups[0] == b.cgroups[0] {
		t.Fatalf("both boots use cgroup %s", a.cgroups[0])
	}
	if _, err := a.Systemctl(ctx, "stop", "same.service"); err != nil {
		t.Fatal(err)
	}
	if state := b.Show(t, "same.service", "ActiveState"); state != "active" {
		t.Errorf("the other boot's unit is %s after this one's stopped, want active", state)
	}
	testutil.WaitFor(t, "the other boot's sleep 1000", func() bool { return len(sleep1000(t, b)) == 1 })
	if left := sleep1000(t, a); len(left) > 0 {
		t.Errorf("sleep 1000 processes %v left after stop", left)
	}
}

// TestShutdownInside shuts the namespace's systemd down from inside, as a unit or a test
// might: the namespace ends by itself, and nothing of the host is touched.
func TestShutdownInside(t *testing.T) {
	sentinel, want := hostSentinel(t)
	before := hostState(t)
	sd := Boot(t)
	ctx, cancel := context.WithTimeout(context.Background(), testutil.Deadline)
	defer cancel()
	programs, trueBin, err := neutered()
	if err != nil {
		t.Fatal(err)
	}
	trueText, err := os.ReadFile(trueBin)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range programs {
		if got, err := os.ReadFile(sd.Path(p)); err != nil || !bytes.Equal(got, trueText) {
			t.Fatalf("%s inside is not true(1): %v", p, err)
		}
	}
	sd.Install(t, "notify-ok.service", notifyUnit)
	if _, err := sd.Systemctl(ctx, "start", "notify-ok.service"); err != nil {
		t.Fatal(err)
	}
	// The connection may drop before systemctl hears back: its result does not matter.
	out, err := sd.Systemctl(ctx, "poweroff")
	t.Logf("systemctl poweroff: %v %s", err, out)
	testutil.WaitFor(t, "the namespace to end by itself", sd.Gone)
	// The fences stayed up to the end, and the shutdown program was true(1): the real one
	// would have said what it did.
	console := sd.Console()
	for _, says := range []string{"Unmounting tmp.mount", "Unmounted tmp.mount", "Sending SIGTERM to remaining processes"} {
		if strings.Contains(console, says) {
			t.Errorf("the console says %q:\n%s", says, console)
		}
	}
	sd.Kill(t)
	if got, err := os.ReadFile(sentinel); err != nil || string(got) != want {
		t.Errorf("the sentinel %s after the shutdown: %q, %v; want %q", sentinel, got, err, want)
	}
	if after := hostState(t); after != before {
		t.Errorf("the host's state changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// TestDiesWithTestProcess checks that a test process that dies without its cleanups (a
// timeout's panic, a kill) takes its systemd and the namespace's processes with it.
func TestDiesWithTestProcess(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperBootAndDie$", "-test.v")
	// The helper dies without its cleanups, so its temporary directories are made in this
	// test's, which this test's cleanup removes.
	cmd.Env = testutil.Environ(helperEnv+"=1", "TMPDIR="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("helper: %v\n%s", err, out)
	}
	var pid int
	var pidNS, started string
	var cgroups []cgroupBind
	for _, line := range strings.Split(string(out), "\n") {
		if rest, ok := strings.CutPrefix(line, "systemdtest-helper "); ok {
			fields := strings.Fields(rest)
			pid, _ = strconv.Atoi(fields[0])
			pidNS, started = fields[1], fields[2]
			for _, dir := range fields[3:] {
				cgroups = append(cgroups, cgroupBind{dir: dir})
			}
		}
	}
	if strings.Contains(string(out), "--- SKIP") {
		t.Skipf("the helper skipped:\n%s", out)
	}
	if pid == 0 {
		t.Fatalf("the helper did not say what it booted:\n%s", out)
	}
	left := &Systemd{pid: pid, pidNS: pidNS, started: started}
	testutil.WaitFor(t, "the dead test process's namespace to be gone", left.Gone)
	// Its cgroups are left, empty, for the next boot to sweep; this test removes them.
	if err := removeCgroups(cgroups); err != nil {
		t.Error(err)
	}
}

// helperEnv makes TestHelperBootAndDie run.
const helperEnv = "SYSTEMDTEST_HELPER_BOOT_AND_DIE"

// TestHelperBootAndDie is TestDiesWithTestProcess's helper, run in a test binary of its own:
// it boots, says what, and exits at once, without its cleanups.
func TestHelperBootAndDie(t *testing.T) {
	if os.Getenv(helperEnv) == "" {
		t.Skip("a helper of TestDiesWithTestProcess")
	}
	sd := Boot(t)
	fmt.Printf("systemdtest-helper %d %s %s %s\n", sd.PID(), sd.pidNS, sd.started, strings.Join(sd.cgroups, " "))
	os.Exit(0)
}

// TestVerify checks Verify's verdicts on good and bad unit files; it boots nothing.
func TestVerify(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	Verify(t, write("good.service", notifyUnit))

	ctx, cancel := context.WithTimeout(context.Background(), testutil.Deadline)
	defer cancel()
	for name, c := range map[string]struct{ text, says string }{
		"missing-program.service": {"[Service]\nType=notify\nExecStart=/nonexistent/daemon\n", "not executable"},
		"unknown-key.service":     {"[Service]\nType=notify\nExecStart=/bin/true\nNoSuchKey=1\n", "Unknown key"},
		"bad-value.service":       {"[Service]\nType=notified\nExecStart=/bin/true\n", "service type"},
	} {
		out, err := verify(ctx, write(name, c.text))
		if err == nil {
			t.Errorf("verify %s passed, want a failure", name)
		} else if !strings.Contains(out, c.says) {
			t.Errorf("verify %s says %q, want it to mention %q", name, out, c.says)
		}
	}
}

// TestScript checks the setup script's fences without running it.
func TestScript(t *testing.T) {
	l := layout{
		hostPID:  42,
		seed:     "/tmp/T 1/seed",
		console:  "/dev/pts/3",
		cgroups:  []cgroupBind{{name: "unified", dir: "/sys/fs/cgroup/unified/systemdtest-1-1"}, {name: "systemd", dir: "/sys/fs/cgroup/systemd/systemdtest-1-1"}},
		shares:   []share{{path: "/tmp/it's", dir: true}, {path: "/tmp/bin", dir: true, readOnly: true}},
		readOnly: []string{"/", "/home"},
		neutered: []string{"/usr/lib/systemd/systemd-shutdown"},
		trueBin:  "/usr/bin/true",
		systemd:  "/lib/systemd/systemd",
	}
	s := l.script()
	order := []string{
		"[ $$ = 1 ]", "[ ! /proc/self/ns/mnt -ef /proc/42/ns/mnt ]", "mount --make-rprivate /", "mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /run",
		"cp -a '/tmp/T 1/seed/run'/. /run/", `mount --rbind '/tmp/it'\''s'`, "echo 0 > '/sys/fs/cgroup/unified/systemdtest-1-1/cgroup.procs'",
		"mount --bind '/dev/pts/3'", "mount -o remount,bind,ro /\n", "mount -o remount,bind,ro '/home' || ! mountpoint -q '/home' || die",
		"mount --bind '/usr/bin/true' '/usr/lib/systemd/systemd-shutdown'",
		"mount -t proc", "mount -t sysfs -o ro", "/sys/fs/cgroup", "tmpfs /tmp", "tmpfs /etc/systemd",
		`mount --move /run/systemdtest-stage/share0 '/tmp/it'\''s'`, "mount -o remount,bind,ro '/tmp/bin'",
		"is not a private tmpfs", "exec unshare --cgroup -- env -i",
	}
	at := 0
	for _, want := range order {
		i := strings.Index(s[at:], want)
		if i < 0 {
			t.Fatalf("the script lacks %q after byte %d:\n%s", want, at, s)
		}
		at += i
	}
}

func TestEscapePath(t *testing.T) {
	for p, want := range map[string]string{
		"/":                                 "-",
		"/var/lib/systemd":                  "var-lib-systemd",
		"/usr/lib/systemd/systemd-shutdown": `usr-lib-systemd-systemd\x2dshutdown`,
		"/tmp/go-build1/b001/":              `tmp-go\x2dbuild1-b001`,
		"/tmp/.hidden/a b":                  `tmp-.hidden-a\x20b`,
		"/.dot":                             `\x2edot`,
	} {
		if got := escapePath(p); got != want {
			t.Errorf("escapePath(%q) = %q, want %q", p, got, want)
		}
	}
	if out, err := exec.Command("systemd-escape", "--path", "/tmp/.hidden/a b").Output(); err == nil {
		if got := strings.TrimSpace(string(out)); got != escapePath("/tmp/.hidden/a b") {
			t.Errorf("systemd-escape says %q, escapePath %q", got, escapePath("/tmp/.hidden/a b"))
		}
	}
}

// hostSentinel makes a file in the host's /tmp that a boot must leave alone.
func hostSentinel(t *testing.T) (path, content string) {
	t.Helper()
	f, err := os.CreateTemp("/tmp", "systemdtest-sentinel-*")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(f.Name()) })
	content = fmt.Sprintf("systemdtest sentinel %d %d\n", os.Getpid(), time.Now().UnixNano())
	if _, err := f.WriteString(content); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return f.Name(), content
}

// hostState is what a boot must not change on the host, as text: the hostname, kernel
// settings systemd would raise, the cgroup release agents, and the host's /etc/systemd.
func hostState(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	for _, p := range []string{
		"/proc/sys/kernel/hostname", "/proc/sys/fs/file-max", "/proc/sys/fs/nr_open",
		"/proc/sys/net/unix/max_dgram_qlen", "/proc/sys/kernel/core_pattern",
	} {
		v, err := os.ReadFile(p)
		fmt.Fprintf(&b, "%s: %q %v\n", p, v, err)
	}
	agents, _ := filepath.Glob("/sys/fs/cgroup/*/release_agent")
	for _, p := range agents {
		v, _ := os.ReadFile(p)
		fmt.Fprintf(&b, "%s: %q\n", p, v)
	}
	filepath.WalkDir("/etc/systemd", func(p string, d os.DirEntry, err error) error {
		fmt.Fprintf(&b, "%s %v\n", p, err)
		return nil
	})
	return b.String()
}

// checkNamespaces checks that the systemd runs in PID, mount, UTS, IPC and cgroup namespaces
// of its own, and in the host's network namespace.
func checkNamespaces(t *testing.T, sd *Systemd) {
	t.Helper()
	for _, ns := range []string{"pid", "mnt", "uts", "ipc", "cgroup", "net"} {
		host, err1 := os.Readlink("/proc/self/ns/" + ns)
		its, err2 := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", sd.PID(), ns))
		if err1 != nil || err2 != nil {
			t.Errorf("read the %s namespaces: %v, %v", ns, err1, err2)
			continue
		}
		if shared := host == its; shared != (ns == "net") {
			t.Errorf("%s namespace: host %s, systemd %s", ns, host, its)
		}
	}
}

// checkMasked checks that every unit the harness masks is masked inside (a template through
// one of its instances).
func checkMasked(t *testing.T, sd *Systemd) {
	t.Helper()
	var names []string
	for _, u := range maskedUnits() {
		if prefix, suffix, ok := strings.Cut(u, "@."); ok {
			u = prefix + "@systemdtest." + suffix
		}
		names = append(names, u)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testutil.Deadline)
	defer cancel()
	out, err := sd.Systemctl(ctx, append([]string{"show", "--property=Id,LoadState"}, names...)...)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, block := range strings.Split(strings.TrimSpace(out), "\n\n") {
		var id, state string
		for _, line := range strings.Split(block, "\n") {
			if v, ok := strings.CutPrefix(line, "Id="); ok {
				id = v
			}
			if v, ok := strings.CutPrefix(line, "LoadState="); ok {
				state = v
			}
		}
		got[id] = state
	}
	for _, u := range names {
		if got[u] != "masked" {
			t.Errorf("%s is %q inside, want masked", u, got[u])
		}
	}
}

// checkShared checks that what is written in dir inside is on the host, and the other way round.
func checkShared(t *testing.T, sd *Systemd, dir string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testutil.Deadline)
	defer cancel()
	inside, host := filepath.Join(dir, "written-inside"), filepath.Join(dir, "written-on-host")
	if err := os.WriteFile(host, []byte("host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := sd.Exec(ctx, "sh", "-c", `cat "$1" && echo inside > "$2"`, "sh", host, inside); err != nil {
		t.Errorf("use the shared %s from inside: %v", dir, err)
	} else if out != "host\n" {
		t.Errorf("read %s inside: %q, want %q", host, out, "host\n")
	} else if got, err := os.ReadFile(inside); err != nil || string(got) != "inside\n" {
		t.Errorf("read on the host what was written inside: %q, %v", got, err)
	}
}

// sleep1000 lists the namespace's "sleep 1000" processes, by their pids there.
func sleep1000(t *testing.T, sd *Systemd) []int {
	t.Helper()
	var pids []int
	for _, p := range sd.Procs(t) {
		if slices.Equal(p.Cmdline, []string{"sleep", "1000"}) {
			pids = append(pids, p.PID)
		}
	}
	return pids
}
