package instance

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/daemonkit/daemonkit/pidfile"
)

// DefaultStateDir returns where the program's pidfiles and records live by default. For one
// user it is the same directory whatever runs the command (a login shell, cron, su, sudo
// -u, a service), so that no context misses a daemon another started and starts a second
// one, and it outlives the session that started a daemon:
//
//   - /run/PROGRAM for root (effective uid 0);
//   - else .local/state/PROGRAM in the user's home directory (the account database's, or
//     $HOME for a user it does not know), when that is a directory the user owns on a
//     file system of this machine alone (not NFS or SMB, where other machines' daemons
//     would show);
//   - else /tmp/PROGRAM-<uid> (sharedTempDir).
//
// Both of a user's are private (see EnsureStateDir). $XDG_RUNTIME_DIR is not used: login
// sessions have it and cron, su and services do not, and logind removes it when the user's
// last session ends, while the daemons started from it run on. Nor is $TMPDIR, for the
// same reason: pam_tmpdir, sudo, cron and CI runners each set it their own way.
func DefaultStateDir(program string) (dir string, private bool, err error) {
	uid := os.Geteuid()
	if uid == 0 {
		return filepath.Join("/run", program), false, nil
	}
	if home := homeDir(uid); home != "" {
		return filepath.Join(home, ".local", "state", program), true, nil
	}
	return filepath.Join(sharedTempDir, fmt.Sprintf("%s-%d", program, uid)), true, nil
}

// sharedTempDir is where a user without a home of their own keeps their state directory:
// /tmp itself, never os.TempDir(), which follows $TMPDIR and so differs between contexts.
const sharedTempDir = "/tmp"

// FormerStateDirs are the directories, of the user's own, where an earlier daemonkit kept
// a user's instances by default, other than today's: $XDG_RUNTIME_DIR/PROGRAM (and /run/user/UID/PROGRAM,
// which it is under systemd), until 2026-11-26; and PROGRAM-<uid> in the temp directory
// ($TMPDIR, or /tmp), the default of a user without a home until /tmp was fixed for it. A
// daemon started then runs on there, unseen by today's default: start, status and stop
// look there too, so that no second copy of it starts. None for root, whose default has
// not changed. now is today's default (DefaultStateDir), left out.
func FormerStateDirs(program, now string) []string {
	uid := os.Geteuid()
	if uid == 0 {
		return nil
	}
	var dirs []string
	for _, d := range []string{
		filepath.Join(os.Getenv("XDG_RUNTIME_DIR"), program),
		filepath.Join("/run/user", strconv.Itoa(uid), program),
		filepath.Join(os.TempDir(), fmt.Sprintf("%s-%d", program, uid)),
		filepath.Join(sharedTempDir, fmt.Sprintf("%s-%d", program, uid)),
	} {
		if filepath.IsAbs(d) && d != now && !slices.Contains(dirs, d) && ownDir(d, uid) {
			dirs = append(dirs, d)
		}
	}
	return dirs
}

// ownDir reports whether d is a directory, not a symbolic link, that uid owns: a former
// state directory under /tmp that another user made (and holds a pidfile lock in) is no
// instance of uid's, and must not stop uid's start.
func ownDir(d string, uid int) bool {
	fi, err := os.Lstat(d)
	if err != nil || !fi.IsDir() {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == uid
}

// homeDir is the home directory of uid if it can hold the state directory: an absolute
// path to a directory uid owns, on a local file system; "" otherwise. The account
// database decides where it knows the user, so that every context finds the same one;
// $HOME only where it does not (a static build, whose os/user reads /etc/passwd alone,
// and a user of LDAP: cron, su and sudo set HOME from the same account then).
var homeDir = func(uid int) string {
	home := os.Getenv("HOME")
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil {
		home = u.HomeDir
	}
	if !filepath.IsAbs(home) {
		return ""
	}
	fi, err := os.Stat(home)
	if err != nil || !fi.IsDir() {
		return ""
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); !ok || int(st.Uid) != uid || sharedFS(home) {
		return ""
	}
	return filepath.Clean(home)
}

// EnsureStateDir makes sure dir exists as a directory, creating it if missing: mode 0755,
// or 0700 when private, whatever the umask (missing parents of a non-private dir are made
// as os.MkdirAll does, 0755 less the umask). A private dir must be a real directory (not a
// symlink) owned by the effective user and writable by nobody else; anything else is
// refused with an error that says why and what to do. An existing directory's mode is
// never changed.
func EnsureStateDir(dir string, private bool) error {
	if !filepath.IsAbs(dir) {
		return fmt.Errorf("state directory %q: not an absolute path", dir)
	}
	mode := fs.FileMode(0o755)
	if private {
		mode = 0o700
	}
	if err := makeDir(dir, mode, private); err != nil {
		return fmt.Errorf("create state directory %q: %w", dir, err)
	}
	if !private {
		fi, err := os.Stat(dir)
		if err != nil {
			return fmt.Errorf("state directory: %w", err)
		}
		if !fi.IsDir() {
			return fmt.Errorf("state directory %q: not a directory", dir)
		}
		return nil
	}
	return checkPrivateDir(dir)
}

// makeDir creates dir with exactly mode if it is missing, and its missing parents: 0755
// less the umask for a shared dir; for a private one 0700, and only below a directory the
// user owns (a home's .local/state), never in one that others may write to, like /tmp,
// where another user could have made the parent first.
func makeDir(dir string, mode fs.FileMode, private bool) error {
	parents := fs.FileMode(0o755)
	if private {
		parents = 0o700
		if err := ownedAncestor(filepath.Dir(dir)); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(filepath.Dir(dir), parents); err != nil {
		return err
	}
	err := os.Mkdir(dir, mode)
	if errors.Is(err, fs.ErrExist) {
		return nil // checked by the caller, never changed
	}
	if err != nil {
		return err
	}
	return os.Chmod(dir, mode) // what Mkdir made, through the umask
}

// ownedAncestor checks that dir exists, or that its nearest existing ancestor is a
// directory the effective user owns, so that what is missing may be made.
func ownedAncestor(dir string) error {
	for d := dir; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if errors.Is(err, fs.ErrNotExist) && d != filepath.Dir(d) {
			continue
		}
		if err != nil || d == dir {
			return err
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); !ok || int(st.Uid) != os.Geteuid() {
			return fmt.Errorf("%s is missing, and %s is not yours to make it in", dir, d)
		}
		return nil
	}
}

// checkPrivateDir refuses a private state directory that another user could have planted
// or could write into.
func checkPrivateDir(dir string) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("state directory: %w", err)
	}
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("state directory %q is a symbolic link: refusing it (remove it, or choose another state directory)", dir)
	case !fi.IsDir():
		return fmt.Errorf("state directory %q is not a directory: refusing it (remove it, or choose another state directory)", dir)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Geteuid() {
		return fmt.Errorf("state directory %q is owned by uid %d, not by you (uid %d): refusing it (choose another state directory)", dir, st.Uid, os.Geteuid())
	}
	if perm := fi.Mode().Perm(); perm&0o022 != 0 {
		return fmt.Errorf("state directory %q has mode %04o, writable by other users: refusing it (chmod 700 it)", dir, perm)
	}
	return nil
}

// Paths are where one instance's files live. Every path is absolute.
type Paths struct {
	Name    string // instance name
	PIDFile string // absolute
	Log     string // absolute
	Record  string // absolute: the <name>.json beside the pidfile
}

// ErrPIDFileName means a pidfile was given the name of a file that goes beside it.
var ErrPIDFileName = errors.New("a pidfile of a reserved name")

// ErrOtherInstance means a pidfile given with a name is another instance's: OTHER.pid
// beside OTHER.json, that instance's record.
var ErrOtherInstance = errors.New("another instance's pidfile")

// ControlSocket is where the supervisor of an instance with sockets listens for upgrade:
// <name>.ctl beside the pidfile.
func (p Paths) ControlSocket() string {
	return filepath.Join(filepath.Dir(p.PIDFile), p.Name+".ctl")
}

// Layout says where an instance's files go when its command line does not say.
type Layout struct {
	StateDir    string // pidfiles and records: <StateDir>/<name>.pid and .json
	LogDir      string // logs: <LogDir>/<name>.log; "" means StateDir
	DefaultName string // the instance name when neither a name nor a pidfile is given
}

// Resolve works out an instance's paths. With neither name nor pidFile, the name is
// l.DefaultName; with only pidFile, it is pidFile's base name without a ".pid" suffix. The
// name is validated (ValidateName) either way. PIDFile defaults to <StateDir>/<name>.pid and
// Log to <LogDir>/<name>.log; Record is <name>.json in the pidfile's directory, the start
// lock <name>.starting (Paths.StartLock), the control socket <name>.ctl
// (Paths.ControlSocket) and the record's lock .<name>.json.lock (see lockRecord): a
// pidfile of any of those names is refused (ErrPIDFileName), and
// so is a pidfile OTHER.pid beside OTHER.json, instance OTHER's record, for a name that is
// not OTHER (ErrOtherInstance: it would act on that instance under this one's name), and a
// name whose files there are another's of the same name in other case, on a file system
// that does not tell them apart (ErrNameCase: web's stop would signal Web's daemon).
// Every path returned is absolute (relative ones are taken from the working directory).
func (l Layout) Resolve(name, pidFile, logFile string) (Paths, error) {
	p, err := l.resolve(name, pidFile, logFile)
	if err != nil {
		return Paths{}, err
	}
	if err := checkNameCase(filepath.Dir(p.PIDFile), p.Name); err != nil {
		return Paths{}, err
	}
	return p, nil
}

// resolve is Resolve without the check of the name's case, for names that the state
// directory lists (List): each is its files' own.
func (l Layout) resolve(name, pidFile, logFile string) (Paths, error) {
	stateDir := l.StateDir
	if name == "" {
		name = l.DefaultName
		if pidFile != "" {
			name = strings.TrimSuffix(filepath.Base(pidFile), ".pid")
		}
	}
	if err := ValidateName(name); err != nil {
		if pidFile != "" {
			return Paths{}, fmt.Errorf("instance name from pidfile %q (give --name): %w", pidFile, err)
		}
		return Paths{}, err
	}
	dirFor := func(what string) (string, error) {
		if stateDir == "" {
			return "", fmt.Errorf("%s of %q: no state directory", what, name)
		}
		return filepath.Abs(stateDir)
	}
	p := Paths{Name: name}
	var err error
	if pidFile != "" {
		p.PIDFile, err = filepath.Abs(pidFile)
	} else if p.PIDFile, err = dirFor("pidfile"); err == nil {
		p.PIDFile = filepath.Join(p.PIDFile, name+".pid")
	}
	if err != nil {
		return Paths{}, fmt.Errorf("resolve pidfile: %w%s", err, relativeHint(pidFile, stateDir))
	}
	switch {
	case logFile != "":
		p.Log, err = filepath.Abs(logFile)
	case l.LogDir != "":
		p.Log, err = filepath.Abs(filepath.Join(l.LogDir, name+".log"))
	default:
		if p.Log, err = dirFor("log"); err == nil {
			p.Log = filepath.Join(p.Log, name+".log")
		}
	}
	if err != nil {
		return Paths{}, fmt.Errorf("resolve log: %w%s", err, relativeHint(logFile, l.LogDir, stateDir))
	}
	p.Record = p.RecordBeside()
	if p.PIDFile == p.Record || p.PIDFile == recordLockPath(p.Record) || p.PIDFile == ReloadMarkPath(p.Record) && !heldPidfile(p.PIDFile) || p.PIDFile == p.StartLock() || p.PIDFile == p.ControlSocket() {
		return Paths{}, fmt.Errorf("pidfile %q: %w: the instance's record (%s.json), its lock (.%s.json.lock) and reload mark (.%s.json.reload), start lock (%s.starting) and control socket (%s.ctl) go beside its pidfile, under those names: give a pidfile named otherwise (%s.pid)",
			pidFile, ErrPIDFileName, name, name, name, name, name, name)
	}
	if other, ok := strings.CutSuffix(filepath.Base(p.PIDFile), ".pid"); ok && other != name {
		if rec, err := ReadRecord(filepath.Join(filepath.Dir(p.PIDFile), other+".json")); err == nil && rec.Name == other {
			return Paths{}, fmt.Errorf("pidfile %q: %w: it is instance %s's, whose record %s.json is beside it, and the name is %s: give --name %s, or a pidfile of %s's own",
				pidFile, ErrOtherInstance, other, other, name, other, name)
		}
	}
	return p, nil
}

// RecordBeside is where the instance's record is: NAME.json beside its pidfile, which is
// where Resolve puts it; for Paths made without a Record.
func (p Paths) RecordBeside() string {
	return filepath.Join(filepath.Dir(p.PIDFile), p.Name+".json")
}

// FileName splits the name of a file in a state directory into the instance it belongs to
// and its role there: "pidfile" (NAME.pid), "record" (NAME.json), "start lock"
// (NAME.starting) or "control socket" (NAME.ctl). ok is false for any other name; name is
// not checked (ValidateName).
func FileName(base string) (name, role string, ok bool) {
	for _, f := range [...]struct{ suffix, role string }{{".pid", "pidfile"}, {".json", "record"}, {".starting", "start lock"}, {".ctl", "control socket"}} {
		if name, ok := strings.CutSuffix(base, f.suffix); ok {
			return name, f.role, true
		}
	}
	return "", "", false
}

// relativeHint is the advice for a path that could not be made absolute, which happens
// only when it is relative and the working directory is gone (deleted while a shell sat
// in it): give the first of paths given an absolute path.
func relativeHint(paths ...string) string {
	for _, p := range paths {
		if p != "" && !filepath.IsAbs(p) {
			return fmt.Sprintf(" (%s is relative, and the working directory is gone: give an absolute path)", p)
		}
	}
	return ""
}

// heldPidfile reports whether a daemon holds the pidfile at path: one an older daemonkit
// started under a name since reserved (the reload mark's), which stop and status must
// still reach, and which start finds running.
func heldPidfile(path string) bool {
	st, _ := pidfile.Probe(path)
	return st.State == pidfile.Running
}
