package systemdtest

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// masked lists the units the namespace's systemd may never start, each masked by a symbolic
// link to /dev/null in its /run/systemd/system, with the reason. None is pulled in by the
// boot target, and the host's /etc/systemd (its enabled units) is hidden: masking is the
// second fence, against a unit under test, or a test, pulling one in. A masked unit that
// something requires makes that fail to start, loudly. Names missing on this systemd cost
// nothing.
var masked = []struct {
	why   string
	units []string
}{
	{"the chain of a normal boot: a unit that pulls one in fails instead of starting sysinit", []string{
		"sysinit.target", "basic.target", "sockets.target", "timers.target", "paths.target",
		"local-fs.target", "local-fs-pre.target", "remote-fs.target", "remote-fs-pre.target",
		"swap.target", "cryptsetup.target", "veritysetup.target", "integritysetup.target",
		"multi-user.target", "graphical.target", "default.target", "getty.target", "getty-pre.target",
		"rescue.target", "emergency.target", "ctrl-alt-del.target", "kbrequest.target",
		"sleep.target", "suspend.target", "hibernate.target", "hybrid-sleep.target",
		"suspend-then-hibernate.target",
	}},
	{"tmpfiles: its rule 'D /tmp' empties the host's /tmp, and it ages /tmp and /var/tmp", []string{
		"systemd-tmpfiles-setup.service", "systemd-tmpfiles-setup-dev.service",
		"systemd-tmpfiles-setup-dev-early.service", "systemd-tmpfiles-clean.service",
		"systemd-tmpfiles-clean.timer",
	}},
	{"they write the host's journal, users, machine identity, login records and caches", []string{
		"systemd-journal-flush.service", "systemd-journal-catalog-update.service",
		"systemd-journald-audit.socket", "systemd-sysusers.service", "systemd-firstboot.service",
		"systemd-machine-id-commit.service", "systemd-random-seed.service",
		"systemd-boot-random-seed.service", "systemd-boot-system-token.service",
		"systemd-boot-update.service", "systemd-update-utmp.service",
		"systemd-update-utmp-runlevel.service", "systemd-update-done.service", "ldconfig.service",
		"systemd-hwdb-update.service", "systemd-pcrphase.service", "systemd-pcrphase-sysinit.service",
		"systemd-pcrphase-initrd.service", "systemd-pcrmachine.service", "systemd-pcrfs-root.service",
		"systemd-pcrfs@.service",
	}},
	{"they apply settings to the host's kernel, clock, console, devices and network", []string{
		"systemd-sysctl.service", "systemd-binfmt.service", "proc-sys-fs-binfmt_misc.automount",
		"proc-sys-fs-binfmt_misc.mount", "systemd-modules-load.service", "kmod-static-nodes.service",
		"systemd-vconsole-setup.service", "systemd-rfkill.service", "systemd-rfkill.socket",
		"systemd-backlight@.service", "systemd-pstore.service", "systemd-timesyncd.service",
		"systemd-timedated.service", "systemd-time-wait-sync.service", "systemd-hostnamed.service",
		"systemd-localed.service", "systemd-networkd.service", "systemd-networkd.socket",
		"systemd-networkd-wait-online.service", "systemd-resolved.service",
		"systemd-coredump.socket", "systemd-udevd.service", "systemd-udevd-control.socket",
		"systemd-udevd-kernel.socket", "systemd-udev-trigger.service", "systemd-udev-settle.service",
		"systemd-suspend.service", "systemd-hibernate.service", "systemd-hybrid-sleep.service",
		"systemd-suspend-then-hibernate.service", "systemd-hibernate-resume@.service",
	}},
	{"they check, grow, trim, scrub, remount or mount the host's file systems", []string{
		"systemd-remount-fs.service", "systemd-fsck-root.service", "systemd-fsck@.service",
		"systemd-quotacheck.service", "quotaon.service", "systemd-repart.service",
		"systemd-growfs-root.service", "systemd-growfs@.service", "systemd-makefs@.service",
		"systemd-mkswap@.service", "fstrim.service", "fstrim.timer", "e2scrub_all.service",
		"e2scrub_all.timer", "e2scrub_reap.service", "e2scrub@.service", "e2scrub_fail@.service",
		"tmp.mount", "dev-hugepages.mount", "dev-mqueue.mount", "sys-kernel-config.mount",
		"sys-kernel-debug.mount", "sys-kernel-tracing.mount", "sys-fs-fuse-connections.mount",
	}},
	{"logins and terminals: logind manages the host's seats, getty the host's terminals", []string{
		"systemd-logind.service", "systemd-user-sessions.service", "getty@.service",
		"serial-getty@.service", "console-getty.service", "container-getty@.service",
		"autovt@.service", "getty-static.service", "systemd-ask-password-console.path",
		"systemd-ask-password-console.service", "systemd-ask-password-wall.path",
		"systemd-ask-password-wall.service",
	}},
}

// generatorDirs are where systemd looks for unit and environment generators; every generator
// found is masked (a symbolic link to /dev/null of its name in /run), so that none runs at
// boot or at each daemon-reload: they read the host's fstab, disks and init scripts, and cost
// time.
var generatorDirs = map[string][]string{
	"system-generators": {
		"/etc/systemd/system-generators", "/usr/local/lib/systemd/system-generators",
		"/usr/lib/systemd/system-generators", "/lib/systemd/system-generators",
	},
	"system-environment-generators": {
		"/etc/systemd/system-environment-generators", "/usr/local/lib/systemd/system-environment-generators",
		"/usr/lib/systemd/system-environment-generators", "/lib/systemd/system-environment-generators",
	},
}

// seedFiles is what the namespace's /run starts with, by path under /run.
var seedFiles = map[string]string{
	"systemd/system/" + Target: `[Unit]
Description=systemdtest: a guarded boot, with nothing of sysinit
DefaultDependencies=no
Wants=systemd-journald.service
After=systemd-journald.service
AllowIsolate=yes
`,
	// Drop-ins in /run come after the vendor's; the host's /etc/systemd is hidden.
	"systemd/system.conf.d/99-systemdtest.conf": `# systemdtest: no hardware watchdog (killing this systemd must not reboot the
# machine), no reboot on Ctrl-Alt-Del bursts, and start and stop timeouts that end a
# hung test's wait sooner than the defaults' 90s.
[Manager]
LogColor=no
RuntimeWatchdogSec=0
RebootWatchdogSec=0
KExecWatchdogSec=0
CtrlAltDelBurstAction=none
DefaultTimeoutStartSec=30s
DefaultTimeoutStopSec=30s
`,
	"systemd/journald.conf.d/99-systemdtest.conf": `# systemdtest: the journal lives in the namespace's /run only, and goes nowhere else.
[Journal]
Storage=volatile
RuntimeMaxUse=16M
ForwardToSyslog=no
ForwardToKMsg=no
ForwardToConsole=no
ForwardToWall=no
ReadKMsg=no
`,
}

// writeSeed fills dir with what the namespace starts with: in dir/run, its /run (the boot
// target, the settings' drop-ins, the masks of units and generators, and the drop-ins that
// keep the mounts at kept mounted); in dir/dev, its /dev before the devices are bound in
// (their mount points, the links, pts and shm).
func writeSeed(dir string, kept []string) error {
	run := filepath.Join(dir, "run")
	for _, p := range kept {
		if err := writeKeepMounted(run, p); err != nil {
			return err
		}
	}
	for name, text := range seedFiles {
		p := filepath.Join(run, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			return err
		}
	}
	link := func(target, p string) error {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.Symlink(target, p); err != nil && !errors.Is(err, os.ErrExist) {
			return err
		}
		return nil
	}
	for _, group := range masked {
		for _, u := range group.units {
			if err := link("/dev/null", filepath.Join(run, "systemd/system", u)); err != nil {
				return err
			}
		}
	}
	for sub, dirs := range generatorDirs {
		for _, d := range dirs {
			entries, err := os.ReadDir(d)
			if err != nil {
				continue
			}
			for _, e := range entries {
				if err := link("/dev/null", filepath.Join(run, "systemd", sub, e.Name())); err != nil {
					return err
				}
			}
		}
	}

	dev := filepath.Join(dir, "dev")
	for _, d := range []string{"pts", "shm"} {
		if err := os.MkdirAll(filepath.Join(dev, d), 0o755); err != nil {
			return err
		}
	}
	if err := os.Chmod(filepath.Join(dev, "shm"), 0o1777); err != nil {
		return err
	}
	for _, name := range append(slices.Clone(hostDevices), "console") {
		if err := os.WriteFile(filepath.Join(dev, name), nil, 0o600); err != nil {
			return err
		}
	}
	for name, target := range map[string]string{
		"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1",
		"stderr": "/proc/self/fd/2", "ptmx": "pts/ptmx",
	} {
		if err := link(target, filepath.Join(dev, name)); err != nil {
			return err
		}
	}
	return nil
}

// writeKeepMounted writes, in the /run at run, a drop-in for the mount unit of the mount
// point p that keeps systemd from unmounting it when it shuts down: by default a mount unit
// conflicts with umount.target, and a shutdown inside would take the fences down first.
func writeKeepMounted(run, p string) error {
	d := filepath.Join(run, "systemd/system", escapePath(p)+".mount.d")
	if err := os.MkdirAll(d, 0o755); err != nil {
		return err
	}
	text := "# systemdtest: one of the harness's fences, mounted until the namespace ends.\n[Unit]\nDefaultDependencies=no\n"
	return os.WriteFile(filepath.Join(d, guardDropIn), []byte(text), 0o644)
}

// escapePath is systemd's name for the path p as a unit (systemd-escape --path): the
// mount unit of /var/lib/systemd is var-lib-systemd.mount.
func escapePath(p string) string {
	p = strings.Trim(filepath.Clean(p), "/")
	if p == "" {
		return "-"
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '/':
			b.WriteByte('-')
		case c == '.' && i == 0:
			fmt.Fprintf(&b, `\x%02x`, c)
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == ':', c == '_', c == '.':
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, `\x%02x`, c)
		}
	}
	return b.String()
}

// hostDevices are the host's devices the namespace's /dev has: harmless ones.
var hostDevices = []string{"null", "zero", "full", "random", "urandom", "tty"}

// maskedUnits lists every unit name the harness masks.
func maskedUnits() []string {
	var all []string
	for _, group := range masked {
		all = append(all, group.units...)
	}
	return all
}

// A share is a host path kept reachable, at the same path, in the namespace.
type share struct {
	path     string // absolute, without symbolic links
	dir      bool   // a directory, else a file
	readOnly bool
}

// A mount is a line of /proc/self/mountinfo.
type mount struct {
	root, point, opts, fstype, superOpts string
}

// mountInfo reads the mount table of this process's mount namespace.
func mountInfo() ([]mount, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var mounts []mount
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		// 36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		f1, f2 := strings.Fields(pre), strings.Fields(post)
		if !ok || len(f1) < 6 || len(f2) < 2 {
			return nil, fmt.Errorf("read /proc/self/mountinfo: bad line %q", sc.Text())
		}
		m := mount{root: unescapeMount(f1[3]), point: unescapeMount(f1[4]), opts: f1[5], fstype: f2[0]}
		if len(f2) > 2 {
			m.superOpts = f2[2]
		}
		mounts = append(mounts, m)
	}
	return mounts, sc.Err()
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space, and so on).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// hasOpt reports whether the comma-separated options list opts has opt.
func hasOpt(opts, opt string) bool {
	for _, o := range strings.Split(opts, ",") {
		if o == opt {
			return true
		}
	}
	return false
}

// under reports whether path is dir or below it.
func under(path, dir string) bool {
	return path == dir || dir == "/" || strings.HasPrefix(path, dir+"/")
}

// replaced are the trees the namespace gets new instances of (its own /proc, /sys and /dev)
// or a fresh tmpfs over (/run), so that the host's mounts there are never reached inside.
var replaced = []string{"/proc", "/sys", "/dev", "/run"}

// private are the directories covered inside by an empty tmpfs of their own (with the mode
// it gets) once the host's mounts have been made read-only, if the host has them.
var private = []struct{ dir, mode string }{
	{"/tmp", "1777"}, {"/var/tmp", "1777"}, {"/var/lib/systemd", "0755"},
	{"/var/log/journal", "2755"}, {"/etc/systemd", "0755"},
}

// hostReadOnly lists the host's mount points to remount read-only inside: every mount not in
// the replaced trees, not already read-only, and not an autofs trigger, "/" first.
func hostReadOnly(mounts []mount) []string {
	seen := map[string]bool{}
	var points []string
	for _, m := range mounts {
		if seen[m.point] || m.fstype == "autofs" || hasOpt(m.opts, "ro") {
			continue
		}
		skip := false
		for _, r := range replaced {
			skip = skip || under(m.point, r)
		}
		if skip {
			continue
		}
		seen[m.point] = true
		points = append(points, m.point)
	}
	return points
}

// neuteredPrograms are replaced by true(1) inside, where they exist: systemd-shutdown, which
// systemd execs to shut down (out of container mode it unmounts and remounts every file
// system read-only, the host's root among them), and systemd-remount-fs (masked already).
var neuteredPrograms = []string{
	"/lib/systemd/systemd-shutdown", "/usr/lib/systemd/systemd-shutdown",
	"/lib/systemd/systemd-remount-fs", "/usr/lib/systemd/systemd-remount-fs",
}

// neutered resolves neuteredPrograms on the host, and true(1).
func neutered() (programs []string, trueBin string, err error) {
	if trueBin, err = exec.LookPath("true"); err == nil {
		trueBin, err = filepath.EvalSymlinks(trueBin)
	}
	if err != nil {
		return nil, "", err
	}
	for _, p := range neuteredPrograms {
		if resolved, err := filepath.EvalSymlinks(p); err == nil && !slices.Contains(programs, resolved) {
			programs = append(programs, resolved)
		}
	}
	return programs, trueBin, nil
}

// layout is everything the setup script needs to know, worked out on the host.
type layout struct {
	seed       string       // host directory copied into the new /run
	console    string       // the pty (/dev/pts/N) bound at /dev/console
	cgroups    []cgroupBind // the boot's own cgroups
	shares     []share
	readOnly   []string // host mount points to remount read-only
	hostPID    int      // the test process: its namespaces are the host's
	neutered   []string // programs replaced by trueBin inside
	trueBin    string   // true(1)
	systemd    string   // the systemd binary
	systemdEnv []string // its environment
	systemdArg []string // its arguments
}

// q quotes s for the shell.
func q(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// script is the program the namespace's PID 1 runs before it becomes systemd: it builds the
// namespace's file system, step by step, and execs systemd. Any failure stops it (set -e),
// and the namespace with it, before systemd has started. (Each program it runs costs time,
// so it uses the shell's own commands where it can.)
func (l *layout) script() string {
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	const stage = "/run/systemdtest-stage"
	line("set -eu")
	line("umask 022")
	line("die() { echo \"systemdtest: $*\" >&2; exit 1; }")
	line("# 0. Not one mount before this is surely a namespace of its own (/proc is still the host's")
	line("# here), and nothing mounted here propagates to the host (Go made every mount private")
	line("# already; again, to be sure).")
	line("[ $$ = 1 ] || die 'not PID 1 of a new PID namespace'")
	for _, ns := range []string{"mnt", "pid", "uts", "ipc"} {
		line("[ ! /proc/self/ns/%s -ef /proc/%d/ns/%s ] || die 'still in the host %s namespace'", ns, l.hostPID, ns, ns)
	}
	line("mount --make-rprivate /")

	line("# 1. A private /run, seeded with the boot target, the settings and the masks.")
	line("mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /run")
	line("cp -a %s/. /run/", q(filepath.Join(l.seed, "run")))
	dirs := []string{stage, stage + "/cgroup", stage + "/dev"}
	for i, s := range l.shares {
		if s.dir {
			dirs = append(dirs, fmt.Sprintf("%s/share%d", stage, i))
		}
	}
	line("mkdir %s", strings.Join(dirs, " "))

	line("# 2. The shared host paths, set aside before their parents are covered or made read-only.")
	for i, s := range l.shares {
		st := fmt.Sprintf("%s/share%d", stage, i)
		if !s.dir {
			line(": > %s", st)
		}
		line("mount --rbind %s %s", q(s.path), st)
	}

	line("# 3. Into the boot's own cgroups, which become the whole cgroup tree inside.")
	for _, c := range l.cgroups {
		line("echo 0 > %s", q(filepath.Join(c.dir, "cgroup.procs")))
	}
	if len(l.cgroups) == 1 && l.cgroups[0].name == "" {
		line("mount --bind %s %s/cgroup", q(l.cgroups[0].dir), stage)
	} else {
		line("mount -t tmpfs -o mode=0755,nosuid,nodev,noexec tmpfs %s/cgroup", stage)
		var names []string
		for _, c := range l.cgroups {
			names = append(names, stage+"/cgroup/"+c.name)
		}
		line("mkdir %s", strings.Join(names, " "))
		for _, c := range l.cgroups {
			line("mount --bind %s %s/cgroup/%s", q(c.dir), stage, c.name)
		}
		line("mount -o remount,ro %s/cgroup", stage)
	}

	line("# 4. A small /dev: harmless host devices, and the harness's pty as the console.")
	line("mount -t tmpfs -o mode=0755,nosuid,noexec tmpfs %s/dev", stage)
	line("cp -a %s/. %s/dev/", q(filepath.Join(l.seed, "dev")), stage)
	for _, d := range hostDevices {
		line("mount --bind /dev/%s %s/dev/%s", d, stage, d)
	}
	line("mount --bind %s %s/dev/console", q(l.console), stage)

	line("# 5. Every host mount read-only, in this namespace's copy of the mount table only. (One")
	line("# unmounted on the host since the harness listed them is not here to be.)")
	for _, p := range l.readOnly {
		if p == "/" {
			line("mount -o remount,bind,ro /")
			continue
		}
		line("mount -o remount,bind,ro %s || ! mountpoint -q %s || die %s", q(p), q(p), q("cannot make "+p+" read-only"))
	}

	line("# 5b. What would remount a host file system's superblock (which no mount namespace shields)")
	line("# is true(1) here: a shutdown inside ends the namespace, and nothing else.")
	for _, p := range l.neutered {
		line("mount --bind %s %s", q(l.trueBin), q(p))
	}

	line("# 6. The namespace's own /proc (kernel settings read-only), /sys and /dev; the host's are detached.")
	line("umount -l /proc")
	line("mount -t proc -o nosuid,nodev,noexec proc /proc")
	for _, p := range []string{"sys", "sysrq-trigger", "irq", "bus"} {
		line("if [ -e /proc/%s ]; then mount -o bind,ro /proc/%s /proc/%s; fi", p, p, p)
	}
	line("umount -l /sys")
	line("mount -t sysfs -o ro,nosuid,nodev,noexec sysfs /sys")
	line("mount --move %s/cgroup /sys/fs/cgroup", stage)
	line("umount -l /dev")
	line("mount --move %s/dev /dev", stage)
	line("mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts /dev/pts")
	line("mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /dev/shm")

	line("# 7. Empty private directories over what systemd, or a unit, would write on the host.")
	for _, p := range private {
		line("if [ -d %s ]; then mount -t tmpfs -o mode=%s,nosuid,nodev tmpfs %s; fi", p.dir, p.mode, p.dir)
	}

	line("# 8. The shared host paths back in place, at their own paths.")
	var points []string
	for _, s := range l.shares {
		if s.dir {
			points = append(points, q(s.path))
		} else {
			points = append(points, q(filepath.Dir(s.path)))
		}
	}
	if len(points) > 0 {
		line("mkdir -p %s", strings.Join(points, " "))
	}
	var stages []string
	for i, s := range l.shares {
		st := fmt.Sprintf("%s/share%d", stage, i)
		if !s.dir {
			line("[ -e %s ] || : > %s", q(s.path), q(s.path))
		}
		line("mount --move %s %s", st, q(s.path))
		if s.readOnly {
			line("mount -o remount,bind,ro %s", q(s.path))
		}
		stages = append(stages, st)
	}
	line("rm -d %s %s/cgroup %s/dev %s", strings.Join(stages, " "), stage, stage, stage)

	line("# 9. Check the fences, then systemd, in a cgroup namespace rooted at the boot's cgroups.")
	line("[ \"$(stat -f -c %%T /run /tmp /dev)\" = \"$(printf 'tmpfs\\ntmpfs\\ntmpfs')\" ] || die '/run, /tmp or /dev is not a private tmpfs'")
	line("! true 2>/dev/null > /.systemdtest-probe || { rm -f /.systemdtest-probe; die '/ is writable'; }")
	args := []string{"exec", "unshare", "--cgroup", "--", "env", "-i"}
	for _, e := range l.systemdEnv {
		args = append(args, q(e))
	}
	args = append(args, q(l.systemd))
	for _, a := range l.systemdArg {
		args = append(args, q(a))
	}
	line("%s", strings.Join(args, " "))
	return b.String()
}
