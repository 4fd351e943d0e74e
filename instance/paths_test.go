package instance

import (
	"errors"
	"github.com/daemonkit/daemonkit/pidfile"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

func TestResolveDefaults(t *testing.T) {
	dir := t.TempDir()
	p, err := Layout{StateDir: dir, DefaultName: "server"}.Resolve("", "", "")
	if err != nil {
		t.Fatal(err)
	}
	want := Paths{
		Name:    "server",
		PIDFile: filepath.Join(dir, "server.pid"),
		Log:     filepath.Join(dir, "server.log"),
		Record:  filepath.Join(dir, "server.json"),
	}
	if p != want {
		t.Fatalf("Resolve defaults = %+v, want %+v", p, want)
	}
	p, err = Layout{StateDir: dir, LogDir: "/var/log/x", DefaultName: "server"}.Resolve("", "", "")
	if err != nil || p.Log != "/var/log/x/server.log" {
		t.Fatalf("Resolve with a log directory = %+v, %v", p, err)
	}
}

func TestResolveNameFromPidfile(t *testing.T) {
	t.Chdir(t.TempDir())
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	p, err := Layout{}.Resolve("", "run/web.pid", "logs/web.log")
	if err != nil {
		t.Fatal(err)
	}
	want := Paths{
		Name:    "web",
		PIDFile: filepath.Join(wd, "run/web.pid"),
		Log:     filepath.Join(wd, "logs/web.log"),
		Record:  filepath.Join(wd, "run/web.json"),
	}
	if p != want {
		t.Fatalf("Resolve = %+v, want %+v", p, want)
	}

	// A name given wins over the pidfile's; the record follows the name.
	p, err = Layout{StateDir: "state"}.Resolve("api", "/srv/x.pid", "")
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "api" || p.PIDFile != "/srv/x.pid" || p.Record != "/srv/api.json" {
		t.Fatalf("Resolve with name and pidfile = %+v", p)
	}
	if p.Log != filepath.Join(wd, "state", "api.log") {
		t.Fatalf("Resolve: log %q not in the absolute state directory", p.Log)
	}

	// A pidfile without the suffix gives its whole base name.
	if p, err := (Layout{StateDir: "/s"}).Resolve("", "/srv/daemon", ""); err != nil || p.Name != "daemon" {
		t.Fatalf("Resolve(/srv/daemon) = %+v, %v", p, err)
	}
}

// TestResolveOtherInstancesPidfile: a pidfile named after another instance whose record
// lies beside it is that instance's: a name that is not its own would act on it under
// this one's name (stop y --pidfile x.pid stopped x and said "stopped y"). A pidfile of
// another name with no record beside it, or a file there that is no record, is fine; the
// name's own control socket and record lock are reserved.
func TestResolveOtherInstancesPidfile(t *testing.T) {
	dir := t.TempDir()
	if err := WriteRecord(filepath.Join(dir, "x.json"), Record{Name: "x"}); err != nil {
		t.Fatal(err)
	}
	// a configuration file beside a pidfile of its name is no record
	if err := os.WriteFile(filepath.Join(dir, "app.json"), []byte(`{"port":8080}`), 0o600); err != nil {
		t.Fatal(err)
	}
	l := Layout{StateDir: dir}
	for _, tc := range []struct {
		name, pidFile string
		refused       bool
	}{
		{"y", filepath.Join(dir, "x.pid"), true},
		{"x", filepath.Join(dir, "x.pid"), false},
		{"", filepath.Join(dir, "x.pid"), false},
		{"y", filepath.Join(dir, "other.pid"), false},
		{"web", filepath.Join(dir, "app.pid"), false},
	} {
		_, err := l.Resolve(tc.name, tc.pidFile, "")
		if tc.refused != errors.Is(err, ErrOtherInstance) {
			t.Errorf("Resolve(name %q, pidfile %q): %v; want ErrOtherInstance: %v", tc.name, tc.pidFile, err, tc.refused)
		}
	}
	if _, err := l.Resolve("y", filepath.Join(dir, "y.ctl"), ""); !errors.Is(err, ErrPIDFileName) {
		t.Errorf("Resolve of a pidfile named as the control socket: %v; want ErrPIDFileName", err)
	}
	// the record's lock: closing it would drop the daemon's lock on its pidfile
	if _, err := l.Resolve("y", filepath.Join(dir, ".y.json.lock"), ""); !errors.Is(err, ErrPIDFileName) {
		t.Errorf("Resolve of a pidfile named as the record's lock: %v; want ErrPIDFileName", err)
	}
	// the reload's mark: reload would write over the pidfile, and the daemon remove it
	if _, err := l.Resolve("y", filepath.Join(dir, ".y.json.reload"), ""); !errors.Is(err, ErrPIDFileName) {
		t.Errorf("Resolve of a pidfile named as the reload's mark: %v; want ErrPIDFileName", err)
	}
}

// A daemon an older daemonkit started with its pidfile named as the reload mark since is
// still reached through it (stop, status; start finds it running): the name was refused
// to every command, and such a daemon could not be stopped by its pidfile.
func TestResolveHeldPidfileNamedAsTheReloadMark(t *testing.T) {
	dir := t.TempDir()
	l := Layout{StateDir: dir}
	path := filepath.Join(dir, ".rq.json.reload")
	f, err := pidfile.Acquire(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Release()
	p, err := l.Resolve("rq", path, "")
	if err != nil || p.PIDFile != path {
		t.Errorf("Resolve of a held pidfile named as the reload's mark: %+v, %v; want it", p, err)
	}
}

func TestResolveBadNames(t *testing.T) {
	for _, tc := range []struct{ name, pidFile string }{
		{"../x", ""},
		{".hidden", ""},
		{"", "/run/.pid"},
		{"", "/run/.hidden.pid"},
		{"", "/run/a b.pid"},
	} {
		if p, err := (Layout{StateDir: "/s", DefaultName: "x"}).Resolve(tc.name, tc.pidFile, ""); !errors.Is(err, ErrBadName) {
			t.Errorf("Resolve(name %q, pidfile %q) = %+v, %v; want ErrBadName", tc.name, tc.pidFile, p, err)
		}
	}
	if _, err := (Layout{}).Resolve("x", "", "/l"); err == nil {
		t.Error("Resolve without a state directory or pidfile: no error")
	}
}

// TestDefaultStateDir: root's is /run/PROGRAM; a user without a home of its own (nobody's
// is /nonexistent) gets a private one in /tmp, whatever $TMPDIR says (pam_tmpdir, sudo,
// cron and CI set it each their own way), and XDG_RUNTIME_DIR, which only login sessions
// have, changes nothing.
func TestDefaultStateDir(t *testing.T) {
	for _, xdg := range []string{"", "relative/dir", "/run/user/1000"} {
		for _, tmp := range []string{"", "/tmp", "/tmp/user/4100019", "relative/tmp"} {
			t.Setenv("XDG_RUNTIME_DIR", xdg)
			t.Setenv("TMPDIR", tmp)
			dir, private, err := DefaultStateDir("daemonkit")
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case os.Geteuid() == 0:
				if dir != "/run/daemonkit" || private {
					t.Fatalf("DefaultStateDir as root = %q, %v", dir, private)
				}
			case homeDir(os.Geteuid()) == "":
				if want := "/tmp/daemonkit-" + strconv.Itoa(os.Geteuid()); !private || dir != want {
					t.Fatalf("DefaultStateDir without a home, XDG_RUNTIME_DIR=%q TMPDIR=%q: %q, %v; want %q", xdg, tmp, dir, private, want)
				}
			default:
				if !private || dir != filepath.Join(homeDir(os.Geteuid()), ".local/state/daemonkit") {
					t.Fatalf("DefaultStateDir with a home, XDG_RUNTIME_DIR=%q: %q, %v", xdg, dir, private)
				}
			}
		}
	}
}

// TestFormerStateDirs: a daemon that a user without a home started when the default
// followed $TMPDIR is found from a context with that $TMPDIR, and from one without it
// (in /tmp, the default of then with TMPDIR unset); today's default is never one of them.
func TestFormerStateDirs(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root has no former state directories")
	}
	homeless := func(int) string { return "" }
	old := homeDir
	homeDir = homeless
	t.Cleanup(func() { homeDir = old })
	uid := strconv.Itoa(os.Geteuid())
	tmp := t.TempDir()
	t.Setenv("XDG_RUNTIME_DIR", "")
	t.Setenv("TMPDIR", tmp)
	now, _, err := DefaultStateDir("daemonkit")
	if err != nil {
		t.Fatal(err)
	}
	if now != "/tmp/daemonkit-"+uid {
		t.Fatalf("DefaultStateDir with TMPDIR=%s = %q, want /tmp/daemonkit-%s", tmp, now, uid)
	}
	if former := FormerStateDirs("daemonkit", now); len(former) != 0 {
		t.Fatalf("FormerStateDirs with none made = %q; want none", former)
	}
	inTmp := filepath.Join(tmp, "daemonkit-"+uid)
	if err := os.Mkdir(inTmp, 0o700); err != nil {
		t.Fatal(err)
	}
	former := FormerStateDirs("daemonkit", now)
	if !slices.Contains(former, inTmp) || slices.Contains(former, now) {
		t.Fatalf("FormerStateDirs with TMPDIR=%s = %q; want $TMPDIR/daemonkit-%s, and not %s", tmp, former, uid, now)
	}
	// A user with a home, whose default before 2026-11-26 was under the temp directory.
	homeDir = func(int) string { return "/home/u" }
	t.Setenv("TMPDIR", "")
	shared := "/tmp/daemonkit-" + uid
	if err := os.Mkdir(shared, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		t.Fatal(err)
	} else if err == nil {
		t.Cleanup(func() { os.Remove(shared) })
	}
	if former := FormerStateDirs("daemonkit", "/home/u/.local/state/daemonkit"); !slices.Contains(former, shared) {
		t.Fatalf("FormerStateDirs of a user with a home = %q; want %s", former, shared)
	}
}

// TestOwnDir: a former state directory counts only as a directory of the user's own: not
// another user's (which anyone may make under /tmp, and hold a pidfile lock in), not a
// symbolic link, not a file, not one missing.
func TestOwnDir(t *testing.T) {
	dir := t.TempDir()
	uid := os.Geteuid()
	link, file := filepath.Join(dir, "link"), filepath.Join(dir, "file")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path string
		uid  int
		want bool
	}{
		{dir, uid, true},
		{dir, uid + 1, false},
		{link, uid, false},
		{file, uid, false},
		{filepath.Join(dir, "missing"), uid, false},
	} {
		if got := ownDir(c.path, c.uid); got != c.want {
			t.Errorf("ownDir(%s, %d) = %v, want %v", c.path, c.uid, got, c.want)
		}
	}
}

// TestHomeDir: the account database's home where it knows the user; HOME only where it
// does not, and only a directory the user owns.
func TestHomeDir(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to make a directory another user owns")
	}
	if u, err := user.LookupId("0"); err == nil && u.HomeDir == "/root" {
		t.Setenv("HOME", t.TempDir()) // not root's home: the database decides
		if got := homeDir(0); got != "/root" {
			t.Errorf("homeDir(0) = %q, want the database's /root", got)
		}
	}
	const unknown = 4100019 // no account
	home := t.TempDir()
	for _, tc := range []struct {
		home  string
		owner int
		want  string
	}{
		{home, 0, ""}, // not the user's
		{home, unknown, home},
		{"relative", unknown, ""},
		{filepath.Join(home, "missing"), unknown, ""},
	} {
		if err := os.Chown(home, tc.owner, tc.owner); err != nil {
			t.Fatal(err)
		}
		t.Setenv("HOME", tc.home)
		if got := homeDir(unknown); got != tc.want {
			t.Errorf("homeDir(%d) with HOME=%q owned by %d = %q, want %q", unknown, tc.home, tc.owner, got, tc.want)
		}
	}
}

func mustMode(t *testing.T, dir string, want fs.FileMode) {
	t.Helper()
	fi, err := os.Lstat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !fi.IsDir() || fi.Mode().Perm() != want {
		t.Fatalf("%s: mode %v, want a directory with %v", dir, fi.Mode(), want)
	}
}

func TestEnsureStateDirCreates(t *testing.T) {
	old := syscall.Umask(0o077) // the modes must not depend on the umask
	defer syscall.Umask(old)
	base := t.TempDir()

	private := filepath.Join(base, "private")
	if err := EnsureStateDir(private, true); err != nil {
		t.Fatal(err)
	}
	mustMode(t, private, 0o700)
	if err := EnsureStateDir(private, true); err != nil {
		t.Fatalf("second EnsureStateDir: %v", err)
	}

	nested := filepath.Join(base, "home", ".local", "state", "daemonkit") // its parents made 0700
	if err := EnsureStateDir(nested, true); err != nil {
		t.Fatal(err)
	}
	mustMode(t, nested, 0o700)
	mustMode(t, filepath.Dir(nested), 0o700)

	shared := filepath.Join(base, "a", "b")
	if err := EnsureStateDir(shared, false); err != nil {
		t.Fatal(err)
	}
	mustMode(t, shared, 0o755)

	// Never tightened nor loosened: an existing dir keeps its mode.
	if err := os.Chmod(shared, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := EnsureStateDir(shared, false); err != nil {
		t.Fatal(err)
	}
	mustMode(t, shared, 0o750)

	if err := EnsureStateDir("relative", false); err == nil {
		t.Fatal("EnsureStateDir(relative): no error")
	}
	// A private dir's missing parents are made only below a directory the user owns.
	others := filepath.Join(base, "others")
	if os.Geteuid() == 0 {
		if err := os.Mkdir(others, 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(others, 4100019, 4100019); err != nil {
			t.Fatal(err)
		}
	} else {
		others = "/" // root's
	}
	missing := filepath.Join(others, "daemonkit-test-missing")
	if err := EnsureStateDir(filepath.Join(missing, "p"), true); err == nil || !strings.Contains(err.Error(), "not yours") {
		t.Fatalf("EnsureStateDir(private, missing parent in another's directory) = %v, want a refusal", err)
	}
	if _, err := os.Stat(missing); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("%s: %v; want it not made", missing, err)
	}
}

func TestEnsureStateDirRefuses(t *testing.T) {
	base := t.TempDir()
	target := filepath.Join(base, "target")
	if err := os.Mkdir(target, 0o700); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(base, "link")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(base, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	open := filepath.Join(base, "open")
	if err := os.Mkdir(open, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{link, file, open} {
		if err := EnsureStateDir(dir, true); err == nil {
			t.Errorf("EnsureStateDir(%s, private): no error", dir)
		} else {
			t.Logf("%s: %v", filepath.Base(dir), err)
		}
	}
	if err := EnsureStateDir(file, false); err == nil {
		t.Error("EnsureStateDir(file, shared): no error")
	}
	mustMode(t, open, 0o777) // refused, not silently tightened
}

func TestEnsureStateDirRefusesOtherOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give a directory to another user")
	}
	dir := filepath.Join(t.TempDir(), "theirs")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, 12345, 12345); err != nil {
		t.Fatal(err)
	}
	err := EnsureStateDir(dir, true)
	if err == nil || !strings.Contains(err.Error(), "12345") {
		t.Fatalf("EnsureStateDir(dir of uid 12345) = %v, want a refusal naming the owner", err)
	}
}

func TestFileName(t *testing.T) {
	for _, tc := range []struct{ base, name, role string }{
		{"api.pid", "api", "pidfile"},
		{"api.json", "api", "record"},
		{"api.starting", "api", "start lock"},
		{"api.ctl", "api", "control socket"},
		{"a.b.pid", "a.b", "pidfile"},
		{"api.log", "", ""},
		{"api", "", ""},
	} {
		name, role, ok := FileName(tc.base)
		if name != tc.name || role != tc.role || ok != (tc.role != "") {
			t.Errorf("FileName(%q) = %q, %q, %v; want %q, %q", tc.base, name, role, ok, tc.name, tc.role)
		}
	}
}

// TestResolveWithoutWorkingDirectory: a relative path given while the working directory is
// gone (deleted under a shell) cannot be made absolute: the error says which path, and the
// fix.
func TestResolveWithoutWorkingDirectory(t *testing.T) {
	gone := filepath.Join(t.TempDir(), "gone")
	if err := os.Mkdir(gone, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(gone)
	if err := os.Remove(gone); err != nil {
		t.Fatal(err)
	}
	l := Layout{StateDir: "/run/x"}
	for _, tc := range []struct{ pidfile, log, want string }{
		{"", "rel.log", "resolve log: getwd: no such file or directory (rel.log is relative, and the working directory is gone: give an absolute path)"},
		{"web.pid", "", "resolve pidfile: getwd: no such file or directory (web.pid is relative, and the working directory is gone: give an absolute path)"},
	} {
		if _, err := l.Resolve("web", tc.pidfile, tc.log); err == nil || err.Error() != tc.want {
			t.Errorf("Resolve(pidfile %q, log %q) = %v, want %q", tc.pidfile, tc.log, err, tc.want)
		}
	}
}
