package cli

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/alecthomas/kong"
	"golang.org/x/sys/unix"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/internal/account"
	"github.com/daemonkit/daemonkit/internal/limits"
	"github.com/daemonkit/daemonkit/internal/openfiles"
	"github.com/daemonkit/daemonkit/launcher"
	"github.com/daemonkit/daemonkit/strategy"
	"github.com/daemonkit/daemonkit/supervisor"
)

// ProcessFlags say what the work runs as and with: its user, environment, priority and
// limits, as systemd's User=, Environment=, EnvironmentFile=, Nice= and LimitNOFILE= do.
type ProcessFlags struct {
	User        string   `notempty:"user name" placeholder:"USER" help:"As root: run the work as this user (its groups, then its gid, then its uid); the lock, the log and the record stay root's."`
	Group       string   `notempty:"group name" placeholder:"GROUP" help:"With --user: this primary group instead of the user's own (the user's other groups stay)."`
	Env         words    `sep:"none" placeholder:"KEY=VALUE" help:"Set a variable in the work's environment (repeatable). Values show in ps while start runs, and are kept in the instance's record (mode 0600): put secrets in --env-file."`
	EnvFile     []string `sep:"none" placeholder:"PATH" help:"Read KEY=VALUE lines from a file (# comments and blank lines allowed; repeatable), again at every restart."`
	ClearEnv    bool     `help:"Start the work with no environment but --env and --env-file (and PATH if they give none)."`
	Nice        niceness `placeholder:"N" help:"The work's niceness, -20 (first) to 19 (last); 0 leaves it as it is."`
	LimitNofile uint64   `name:"limit-nofile" placeholder:"N" help:"The work's limit on open files (RLIMIT_NOFILE, soft and hard); 0 leaves it."`

	// Inherited is the environment the work inherits: the caller's, as start -d found it
	// (less what is its own process's: see inheritable). The daemon keeps it in the record
	// (its own environment, which is the work's: --env and --env-file values included,
	// which restart applies again over it), so that restart, typed anywhere (cron,
	// another shell), starts the work with the environment it was started with, as pm2
	// restart does. nil means this process's (a foreground start; a record written
	// before it was kept); empty, none.
	Inherited words `kong:"-" json:",omitzero"`

	// Limits are the resource limits (ulimit) the work was started with: the caller's, as
	// start -d found them. The daemon gives them itself first thing, so that restart, typed
	// in a shell with other limits (cron's, a login's 1024 open files), starts the work with
	// the ones it was started with, as it does the environment. nil: this process's.
	Limits []limits.Limit `kong:"-" json:",omitzero"`
}

// niceness is --nice's value: a number that may be negative, and may come as the next
// word (--nice -5, as nice -n -5 takes it), which Kong would take for a short flag.
type niceness int

// Decode takes the next word, whatever it looks like, as the number.
func (n *niceness) Decode(ctx *kong.DecodeContext) error {
	t := ctx.Scan.Pop()
	if t.IsEOL() {
		return errors.New("want a number from -20 to 19")
	}
	v, err := strconv.Atoi(fmt.Sprint(t.Value))
	if err != nil {
		return fmt.Errorf("want a number from -20 to 19, not %q", fmt.Sprint(t.Value))
	}
	*n = niceness(v)
	return nil
}

// inheritable is env less what belongs to the process that runs start, not to the work
// it starts: a service manager's notify socket, watchdog and passed sockets (named for
// start's pid), its invocation, journal stream and pids, and a run's mark (each run gets
// its own).
func inheritable(env []string) []string {
	own := []string{"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES",
		"INVOCATION_ID", "JOURNAL_STREAM", "SYSTEMD_EXEC_PID", "MAINPID", "MANAGERPID", "MEMORY_PRESSURE_WATCH", "MEMORY_PRESSURE_WRITE",
		instance.InvocationEnv}
	kept := make([]string, 0, len(env))
	for _, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); !slices.Contains(own, k) {
			kept = append(kept, kv)
		}
	}
	return kept
}

// check refuses what cannot be done here, as a usage error would: checkValues, and
// --user when this process is not root's.
func (f ProcessFlags) check() error {
	if err := f.checkValues(); err != nil {
		return err
	}
	if f.User != "" && os.Geteuid() != 0 {
		return fmt.Errorf("--user %s: only root can run the work as another user (you are uid %d)", f.User, os.Geteuid())
	}
	return nil
}

// checkValues refuses values that cannot be meant, whoever runs the work: start checks
// them (check), and unit, whose unit runs as root, must not print one that fails at every
// boot.
func (f ProcessFlags) checkValues() error {
	switch {
	case f.User == "" && f.Group != "":
		return errors.New("--group goes with --user: give --user too, or leave --group out")
	case f.Nice < -20 || f.Nice > 19:
		return fmt.Errorf("--nice %d: want -20 to 19", f.Nice)
	}
	for _, kv := range f.Env {
		if k, _, ok := strings.Cut(kv, "="); !ok || !validKey(k) {
			return fmt.Errorf("--env %q: want KEY=VALUE, KEY of letters, digits and _, not starting with a digit", kv)
		} else if why := ownedVariable(k); why != "" {
			return fmt.Errorf("--env %s: %s", k, why)
		}
	}
	for _, path := range f.EnvFile { // one that cannot be read yet: environ says why, or the unit's start
		kvs, lines, _ := readEnvFile(path, workIdentity{uid: uint32(os.Geteuid()), gid: uint32(os.Getegid()), user: f.User})
		for i, kv := range kvs {
			if k, _, _ := strings.Cut(kv, "="); ownedVariable(k) != "" {
				return fmt.Errorf("env file %s:%d: %s", path, lines[i], ownedVariable(k))
			}
		}
	}
	if f.LimitNofile > 0 {
		if err := openfiles.CheckLimit(f.LimitNofile); err != nil {
			return fmt.Errorf("--limit-nofile %d: %w", f.LimitNofile, err)
		}
	}
	return nil
}

// environ is the work's environment: the inherited one (Inherited, else this process's;
// none with --clear-env), then, with
// --user, that user's USER, LOGNAME, SHELL and HOME, as systemd's User= and su - set them
// (root's would send the work's files to /root, which it may not write), less, for a user
// other than this process's, what locates this user's own files and sockets
// (account.CallersOwn: root's $XDG_RUNTIME_DIR, /run/user/0), then defaults
// (KEY=VALUE: what the caller knows better than this process's environment), then the
// --env-file files in order, then --env. Errors name the file and the line. A variable no
// exec can pass (launcher.CheckVariable: over 128 KiB on Linux) is refused, by its name,
// its size and where it came from: an env file and its line, --env, or the inherited
// environment.
func (f ProcessFlags) environ(defaults ...string) ([]string, error) {
	env, _, err := f.environOver(defaults...)
	return env, err
}

// environOver is environ, and what the inherited environment had for each key set on top
// of it (KEY=VALUE, or KEY alone where it had none): what the record needs to keep the
// inherited environment, not the work's (EnvBase), so that a variable dropped from an env
// file since is dropped by restart too.
func (f ProcessFlags) environOver(defaults ...string) (env, under []string, err error) {
	env, under, _, err = f.environOwned(defaults...)
	return env, under, err
}

// environOwned is environOver, and the variables of daemonkit's own (ownedVariable) that
// an env file or --env gave, left out of env: start and unit refuse them (checkValues),
// but an instance started by an older daemonkit may have them in its record or its env
// file, which restart and reload read again; they say so (warnOwnedEnv).
func (f ProcessFlags) environOwned(defaults ...string) (env, under []string, owned []ownedAt, err error) {
	switch {
	case f.ClearEnv:
	case f.Inherited != nil:
		env = slices.Clone(f.Inherited)
	default:
		env = os.Environ()
	}
	touched := map[string]bool{}
	set := func(kv string) {
		k, _, _ := strings.Cut(kv, "=")
		first := !touched[k]
		touched[k] = true
		for i, old := range env {
			if ok, _, _ := strings.Cut(old, "="); ok == k {
				if first {
					under = append(under, old)
				}
				env[i] = kv
				return
			}
		}
		if first {
			under = append(under, k)
		}
		env = append(env, kv)
	}
	unset := func(k string) { // what the inherited environment had, kept under as set keeps it
		i := slices.IndexFunc(env, func(kv string) bool { ek, _, _ := strings.Cut(kv, "="); return ek == k })
		if i < 0 {
			return
		}
		if !touched[k] {
			under = append(under, env[i])
		}
		touched[k] = true
		env = slices.Delete(env, i, i+1)
	}
	work := workIdentity{uid: uint32(os.Geteuid()), gid: uint32(os.Getegid())}
	if f.User != "" {
		u, err := account.LookupUser(f.User)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("--user %s: %w", f.User, err)
		}
		callerHome, _ := envLookup(env, "HOME") // before the user's replaces it
		for _, kv := range u.Identity() {
			set(kv)
		}
		if u.Uid != uint32(os.Geteuid()) {
			for _, k := range account.CallersOwn {
				if v, ok := envLookup(env, k); ok && account.OthersOwnValue(k, v, u.Uid, callerHome) {
					unset(k)
				}
			}
		}
		work = workIdentity{uid: u.Uid, gid: u.Gid, user: f.User}
		if f.Group != "" {
			g, err := account.LookupGroup(f.Group)
			if err != nil {
				return nil, nil, nil, fmt.Errorf("--group %s: %w", f.Group, err)
			}
			work.gid = g.Gid
		}
	}
	for _, kv := range defaults {
		set(kv)
	}
	for _, path := range f.EnvFile {
		kvs, lines, err := readEnvFile(path, work)
		if err != nil {
			return nil, nil, nil, err
		}
		for i, kv := range kvs {
			if k, _, _ := strings.Cut(kv, "="); ownedVariable(k) != "" {
				owned = append(owned, ownedAt{key: k, where: fmt.Sprintf("env file %s:%d", path, lines[i])})
				continue
			}
			set(kv)
		}
	}
	for _, kv := range f.Env {
		if err := launcher.CheckVariable(kv); err != nil {
			return nil, nil, nil, fmt.Errorf("--env: %w; shorten it, or have the program read it from a file", err)
		}
		if k, _, _ := strings.Cut(kv, "="); ownedVariable(k) != "" {
			owned = append(owned, ownedAt{key: k, where: "--env"})
			continue
		}
		set(kv)
	}
	if f.ClearEnv && !hasKey(env, "PATH") {
		env = append(env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
	}
	for _, kv := range env { // what is left over the bound came with the inherited environment
		if err := launcher.CheckVariable(kv); err != nil {
			return nil, nil, nil, fmt.Errorf("the environment the work inherits: %w; unset it, or shorten it, before start", err)
		}
	}
	return env, under, owned, nil
}

// readEnvFile reads KEY=VALUE lines (parseEnvFile); blank lines and lines starting with # are skipped,
// and a value may be quoted with ' or ". Anything else is an error naming the file and the
// line, and so is a variable longer than one exec passes (launcher.CheckVariable). The file is read as it is at each start and restart, perhaps by root, from a
// directory its owner (the program's own user, with --user) may change: it is never read
// through another user's symlink, at the path or above it, nor when it is anything but a
// regular file, so that such a user can neither have root read a file of root's into the
// program's environment nor hang it on a FIFO; nor when another user than root, this
// process's and the work's could have written it (trustEnvFile).
func readEnvFile(path string, work workIdentity) (kvs []string, lines []int, err error) {
	if err := instance.CheckNoForeignSymlink(path); err != nil {
		return nil, nil, fmt.Errorf("env file %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOFOLLOW, 0)
	if errors.Is(err, syscall.ELOOP) {
		return nil, nil, fmt.Errorf("env file %s: a symbolic link: give the file it leads to", path)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("env file: %w", err)
	}
	// Checked again once open, and the path must still name what was opened: a directory
	// above it swapped for a symlink between the first check and the open is refused.
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = errors.New("not a regular file")
	}
	if err == nil {
		err = instance.CheckNoForeignSymlink(path)
	}
	if err == nil {
		if terr := trustEnvFile(path, fi, work); terr != nil {
			f.Close()
			return nil, nil, terr
		}
	}
	if at, serr := os.Stat(path); err == nil && (serr != nil || !os.SameFile(fi, at)) {
		err = errors.New("it changed while it was opened")
	}
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("env file %s: %w", path, err)
	}
	defer f.Close()
	return parseEnvLines(path, f)
}

// parseEnvFile is readEnvFile's parser, apart so that it can be fuzzed.
func parseEnvFile(name string, r interface{ Read([]byte) (int, error) }) ([]string, error) {
	kvs, _, err := parseEnvLines(name, r)
	return kvs, err
}

// parseEnvLines is parseEnvFile, and the line each of its KEY=VALUE came from.
func parseEnvLines(name string, r interface{ Read([]byte) (int, error) }) (kvs []string, lines []int, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, maxEnvLine)
	n := 1
	continued := 0 // the line before, if it ended in a backslash
	for ; sc.Scan(); n++ {
		text := sc.Text()
		if n == 1 { // a byte order mark, which editors on Windows write, is no part of the key
			text = strings.TrimPrefix(text, "\ufeff")
		}
		line := strings.TrimSpace(text)
		if line == "" || line[0] == '#' {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		k, v, ok := strings.Cut(line, "=")
		k = strings.TrimSpace(k)
		if !ok || !validKey(k) {
			why := ""
			switch {
			case continued > 0 && continued == n-1:
				why = fmt.Sprintf(": line %d ends in \\, but a value does not go on to the next line here; put it on one line", continued)
			case line[0] == ';':
				why = ": comments start with #"
			}
			return nil, nil, fmt.Errorf("env file %s:%d: %q is not KEY=VALUE%s", name, n, clip(line), why)
		}
		if strings.HasSuffix(line, "\\") {
			continued = n
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') {
			if v[len(v)-1] != v[0] {
				return nil, nil, fmt.Errorf("env file %s:%d: the value of %s has no closing %c", name, n, k, v[0])
			}
			v = v[1 : len(v)-1]
		}
		if strings.IndexByte(v, 0) >= 0 {
			return nil, nil, fmt.Errorf("env file %s:%d: the value of %s holds a NUL byte, which no environment can carry; remove it", name, n, k)
		}
		if err := launcher.CheckVariable(k + "=" + v); err != nil {
			return nil, nil, fmt.Errorf("env file %s:%d: %w: no program can be given it in its environment; shorten it, or have the program read it from a file", name, n, err)
		}
		kvs, lines = append(kvs, k+"="+v), append(lines, n)
	}
	if err := sc.Err(); errors.Is(err, bufio.ErrTooLong) {
		return nil, nil, fmt.Errorf("env file %s:%d: a line longer than %d MiB", name, n, maxEnvLine>>20)
	} else if err != nil {
		return nil, nil, fmt.Errorf("env file %s: %w", name, err)
	}
	return kvs, lines, nil
}

// maxEnvLine bounds an env file's line: a certificate or a JSON document fits, as in a
// systemd EnvironmentFile=.
const maxEnvLine = 4 << 20

func validKey(k string) bool {
	if k == "" || ('0' <= k[0] && k[0] <= '9') {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// hasKey says whether env sets key.
func hasKey(env []string, key string) bool {
	_, ok := envLookup(env, key)
	return ok
}

// envLookup is key's value in env, and whether env sets it.
func envLookup(env []string, key string) (string, bool) {
	for _, kv := range env {
		if k, v, _ := strings.Cut(kv, "="); k == key {
			return v, true
		}
	}
	return "", false
}

// clip keeps an error message's quote short.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// credential is the uid, gid and groups of --user (and --group), or nil. Users and groups
// come from os/user, or from getent when os/user does not know them (see package account).
func (req *request) credential() (*syscall.Credential, error) {
	if req.User == "" {
		return nil, nil
	}
	u, err := account.LookupUser(req.User)
	if err != nil {
		return nil, fmt.Errorf("--user %s: %w", req.User, err)
	}
	gid := u.Gid
	var groups []uint32
	if ids, err := u.GroupIds(); err == nil {
		groups = ids
	}
	if req.Group != "" {
		// The primary group changes, the user's other groups stay, as initgroups(user, gid)
		// gives them under start-stop-daemon --chuid user:group and systemd's User= with
		// Group=.
		g, err := account.LookupGroup(req.Group)
		if err != nil {
			return nil, fmt.Errorf("--group %s: %w", req.Group, err)
		}
		gid = g.Gid
		groups = slices.DeleteFunc(groups, func(id uint32) bool { return id == u.Gid })
	}
	if !slices.Contains(groups, gid) {
		groups = append([]uint32{gid}, groups...)
	}
	return &syscall.Credential{Uid: u.Uid, Gid: gid, Groups: groups}, nil
}

// settle puts this process where and how the work runs: its working directory and
// niceness; the work, or the program, inherits them. The open-files limit is the work's
// alone (see openFiles).
func (req *request) settle() error {
	if err := os.Chdir(req.Workdir); err != nil {
		return err
	}
	if req.Nice != 0 {
		if err := setNice(int(req.Nice)); err != nil {
			return fmt.Errorf("--nice %d: %w", req.Nice, err)
		}
	}
	return nil
}

// openFiles applies --limit-nofile: to this process when it is the work (here says so);
// else to what it supervises, through the exec step, which it lets set a limit above its
// own hard one, so that a low limit leaves the supervisor its descriptors and a high one
// reaches a program run as another user.
func (req *request) openFiles(sc *supervisor.Config, here bool) error {
	if req.LimitNofile == 0 {
		return nil
	}
	var err error
	if here {
		err = openfiles.Set(req.LimitNofile)
	} else {
		sc.OpenFiles = req.LimitNofile
		err = openfiles.Allow(req.LimitNofile)
	}
	if err != nil {
		return fmt.Errorf("--limit-nofile %d: %w", req.LimitNofile, err)
	}
	return nil
}

// selfExecutable is the path that runs this binary again.
// currentExecutable is the path of this process's binary, recorded for the work run as a
// child (the built-in work on --socket), which runs the binary at that path.
func currentExecutable() string {
	if exe, err := os.Executable(); err == nil {
		return exe
	}
	return selfExecutable()
}

func selfExecutable() string {
	path, err := strategy.Executable()
	if err != nil {
		return os.Args[0]
	}
	return path
}

// setNice gives every thread of this process niceness n: on Linux a niceness is a
// thread's, and a process forked from any of them inherits that thread's. Threads made
// later inherit it from the thread that makes them.
func setNice(n int) error {
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil { // not Linux, or no /proc: the process's
		return unix.Setpriority(unix.PRIO_PROCESS, 0, n)
	}
	for _, t := range tasks {
		if tid, err := strconv.Atoi(t.Name()); err == nil {
			if err := unix.Setpriority(unix.PRIO_PROCESS, tid, n); err != nil && !errors.Is(err, unix.ESRCH) {
				return err
			}
		}
	}
	return nil
}
