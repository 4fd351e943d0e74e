// Package account finds a user or a group by name or number, as --user and --group need
// them, in a binary built with or without cgo.
//
// os/user answers first. Built with CGO_ENABLED=0 it reads only /etc/passwd and /etc/group,
// so when it says a user or group is unknown, getent(1) is asked: getent goes through the C
// library and NSS, and so finds the accounts of LDAP, SSSD or systemd-userdb too. When
// getent is not installed, or does not know the name either, the error is os/user's own
// ("user: unknown user bob"). A numeric argument that no database knows is an error, as it
// is for os/user.
package account

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/daemonkit/daemonkit/internal/sysbin"
)

// getentTimeout bounds each run of getent: NSS modules that wait on a network server can
// hang.
var getentTimeout = 5 * time.Second

// User is a user account.
type User struct {
	Name string
	Uid  uint32
	Gid  uint32 // primary group
	Home string // its home directory, "" if the account names none
	// Shell is its login shell, "" if the account names none or it is not known: os/user
	// gives none, so it is read from /etc/passwd (or getent's answer) by the user's name.
	Shell string

	local *user.User // os/user's answer; nil when getent's
}

// Group is a group account.
type Group struct {
	Name string
	Gid  uint32
}

// Error records a lookup that failed for another reason than an unknown name: the
// operation, its argument, and the cause. An unknown name is os/user's own error.
type Error struct {
	Op  string // "lookup user", "getent passwd", ...
	Arg string
	Err error
}

func (e *Error) Error() string { return e.Op + " " + e.Arg + ": " + e.Err.Error() }

func (e *Error) Unwrap() error { return e.Err }

// LookupUser finds a user by name, or else by uid, as os/user does (user.Lookup, then
// user.LookupId). When os/user reports the user unknown it asks getent passwd; when getent
// is missing or does not know the user either, the error is user.Lookup's, of type
// user.UnknownUserError.
func LookupUser(name string) (*User, error) {
	u, err := user.Lookup(name)
	if err != nil {
		u2, err2 := user.LookupId(name)
		if err2 != nil {
			var unknown user.UnknownUserError
			if !errors.As(err, &unknown) {
				return nil, err
			}
			return getentUser(name, err)
		}
		u = u2
	}
	uid, err := parseID("uid", u.Uid)
	if err != nil {
		return nil, &Error{Op: "lookup user", Arg: name, Err: err}
	}
	gid, err := parseID("gid", u.Gid)
	if err != nil {
		return nil, &Error{Op: "lookup user", Arg: name, Err: err}
	}
	return &User{Name: u.Username, Uid: uid, Gid: gid, Home: u.HomeDir, Shell: passwdShell(passwdPath, u.Username, uid), local: u}, nil
}

// passwdPath is the local account database, which os/user also reads.
const passwdPath = "/etc/passwd"

// passwdShell is the login shell that the passwd(5) file at path gives the user name with
// uid, or "" if it has no such line or cannot be read.
func passwdShell(path, name string, uid uint32) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	for line := range strings.Lines(string(data)) {
		if u, err := parsePasswd(strings.TrimRight(line, "\n")); err == nil && u.Name == name && u.Uid == uid {
			return u.Shell
		}
	}
	return ""
}

// LookupGroup finds a group by name, or else by gid, as os/user does (user.LookupGroup,
// then user.LookupGroupId). When os/user reports the group unknown it asks getent group;
// when getent is missing or does not know the group either, the error is
// user.LookupGroup's, of type user.UnknownGroupError.
func LookupGroup(name string) (*Group, error) {
	g, err := user.LookupGroup(name)
	if err != nil {
		g2, err2 := user.LookupGroupId(name)
		if err2 != nil {
			var unknown user.UnknownGroupError
			if !errors.As(err, &unknown) {
				return nil, err
			}
			return getentGroup(name, err)
		}
		g = g2
	}
	gid, err := parseID("gid", g.Gid)
	if err != nil {
		return nil, &Error{Op: "lookup group", Arg: name, Err: err}
	}
	return &Group{Name: g.Name, Gid: gid}, nil
}

// Identity is what a program run as u expects in its environment, as login, su - and
// systemd's User= set it: USER, LOGNAME, SHELL (/bin/sh, as su gives it, where the account
// names none or it is not known) and, where the account names one, HOME.
func (u *User) Identity() []string {
	shell := u.Shell
	if shell == "" {
		shell = "/bin/sh"
	}
	env := []string{"USER=" + u.Name, "LOGNAME=" + u.Name, "SHELL=" + shell}
	if u.Home != "" {
		env = append(env, "HOME="+u.Home)
	}
	return env
}

// CallersOwn are the variables that may locate the files and sockets of the user a
// program inherits its environment from (root, who runs it as u), which a program run as
// another user cannot use: that user's runtime directory, its session bus, its ssh agent,
// its X authority, and the XDG base directories, which sit under its home. systemd's User=
// and sudo -u set none of them; a program given root's would fail to write where it may
// not (jupyter, podman, gpg-agent make their sockets in $XDG_RUNTIME_DIR, /run/user/0, mode
// 0700), or read another home's configuration. Which values do is OthersOwnValue's to say.
var CallersOwn = []string{
	"XDG_RUNTIME_DIR", "DBUS_SESSION_BUS_ADDRESS", "SSH_AUTH_SOCK", "XAUTHORITY",
	"XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME",
}

// OthersOwnValue reports whether value, of the variable key (one of CallersOwn), locates
// what a program run as the user with uid target cannot use, being another user's own: a
// path in the caller's home callerHome, or in a runtime directory /run/user/N of another
// uid than target (a shell reached by su keeps the first user's; a session bus's address
// names its socket there), or, for SSH_AUTH_SOCK, any agent (its socket is in a directory
// of its user's, mode 0700, and an agent is no service's to use). A value set on purpose
// elsewhere (XDG_CONFIG_HOME=/srv/app/conf) is not.
func OthersOwnValue(key, value string, target uint32, callerHome string) bool {
	if key == "SSH_AUTH_SOCK" {
		return true
	}
	path := value
	if key == "DBUS_SESSION_BUS_ADDRESS" { // unix:path=/run/user/0/bus[,guid=...][;...]
		_, after, ok := strings.Cut(value, "path=")
		if !ok {
			return false
		}
		path, _, _ = strings.Cut(after, ",")
		path, _, _ = strings.Cut(path, ";")
	}
	path = filepath.Clean(path)
	in := func(dir string) bool {
		dir = filepath.Clean(dir)
		return dir != "/" && dir != "." && (path == dir || strings.HasPrefix(path, dir+"/"))
	}
	if callerHome != "" && in(callerHome) {
		return true
	}
	rest, ok := strings.CutPrefix(path, "/run/user/")
	if !ok {
		return false
	}
	uid, _, _ := strings.Cut(rest, "/")
	return uid != strconv.FormatUint(uint64(target), 10)
}

// GroupIds are the groups u is in, its primary group first. For a user os/user found they
// are os/user's (ids it gives that are not 32-bit numbers are left out). For a user only
// getent found they are getent initgroups' (the primary group added); where getent has no
// initgroups database (FreeBSD, musl) or fails, os/user's, which reads /etc/group when
// built without cgo.
func (u *User) GroupIds() ([]uint32, error) {
	local := u.local
	if local == nil {
		if ids, err := getentGroups(u.Name, u.Gid); err == nil {
			return ids, nil
		}
		// os/user lists a user's groups by name and primary gid alone
		local = &user.User{Username: u.Name, Uid: strconv.FormatUint(uint64(u.Uid), 10), Gid: strconv.FormatUint(uint64(u.Gid), 10)}
	}
	ids, err := local.GroupIds()
	if err != nil {
		return nil, err
	}
	var groups []uint32
	for _, id := range ids {
		if g, err := strconv.ParseUint(id, 10, 32); err == nil {
			groups = append(groups, uint32(g))
		}
	}
	return groups, nil
}

// errUnknown is getent's answer for a key no database holds (exit status 2), or no
// answer at all because getent is not installed.
var errUnknown = errors.New("unknown to getent")

// getentUser is getent passwd's answer for name, or unknown (user.Lookup's error) when
// getent is missing, does not know name, or cannot be asked about it.
func getentUser(name string, unknown error) (*User, error) {
	return getentRecord("passwd", name, unknown, parsePasswd, "user %s (uid %d)",
		func(u *User) (string, uint32) { return u.Name, u.Uid })
}

// getentGroup is getent group's answer for name, or unknown (user.LookupGroup's error)
// when getent is missing, does not know name, or cannot be asked about it.
func getentGroup(name string, unknown error) (*Group, error) {
	return getentRecord("group", name, unknown, parseGroup, "group %s (gid %d)",
		func(g *Group) (string, uint32) { return g.Name, g.Gid })
}

// getentRecord asks getent's database db about name and parses its one line with parse;
// the record must be the one asked about, by its name or its id (key gives both; record,
// a format of the two, names another one in the error). It returns unknown when getent is
// missing, does not know name, or cannot be asked about it.
func getentRecord[T any](db, name string, unknown error, parse func(string) (T, error), record string, key func(T) (string, uint32)) (T, error) {
	var zero T
	if !askable(name) {
		return zero, unknown
	}
	line, err := getent(db, name)
	if errors.Is(err, errUnknown) {
		return zero, unknown
	}
	if err != nil {
		return zero, err
	}
	rec, err := parse(line)
	if err == nil {
		if recName, recID := key(rec); !answers(name, recName, recID) {
			err = fmt.Errorf("answered with "+record, recName, recID)
		}
	}
	if err != nil {
		return zero, &Error{Op: "getent " + db, Arg: name, Err: err}
	}
	return rec, nil
}

// getentGroups is getent initgroups' answer for user name, whose primary group is gid:
// gid, then every other group the answer lists, once each.
func getentGroups(name string, gid uint32) ([]uint32, error) {
	if !askable(name) {
		return nil, &Error{Op: "getent initgroups", Arg: name, Err: errors.New("not a name getent can be asked about")}
	}
	line, err := getent("initgroups", name)
	if err != nil {
		return nil, err
	}
	ids, err := parseInitgroups(line, name)
	if err != nil {
		return nil, &Error{Op: "getent initgroups", Arg: name, Err: err}
	}
	groups := []uint32{gid}
	for _, id := range ids {
		seen := false
		for _, g := range groups {
			seen = seen || g == id
		}
		if !seen {
			groups = append(groups, id)
		}
	}
	return groups, nil
}

// askable says whether name can be given to getent as a key: not empty, not taken for an
// option, and with nothing the colon-separated answer could not hold.
func askable(name string) bool {
	return name != "" && name[0] != '-' && !strings.ContainsAny(name, ":\n\x00")
}

// answers says whether a record named recName with id recID answers a query for key: the
// same name, or, for a numeric key (which getent looks up by id), the same id.
func answers(key, recName string, recID uint32) bool {
	if recName == key {
		return true
	}
	id, err := strconv.ParseUint(key, 10, 32)
	return err == nil && uint32(id) == recID
}

// getent runs `getent db key` (the system's: see sysbin.Find), with no environment, and returns the one line it prints, without its newline.
// It returns errUnknown when getent is not installed or exits with status 2 (the key is
// not found), and an *Error for any other failure.
func getent(db, key string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), getentTimeout)
	defer cancel()
	path, err := sysbin.Find("getent") // as root, never PATH's: the environment may be a --user's choice
	if err != nil {
		return "", errUnknown
	}
	cmd := exec.CommandContext(ctx, path, db, key)
	cmd.Env = []string{}        // nor its LD_PRELOAD: getent needs no environment
	cmd.WaitDelay = time.Second // a child of getent holding the pipes open must not hang us
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		var exit *exec.ExitError
		switch {
		case errors.Is(err, exec.ErrNotFound):
			return "", errUnknown
		case ctx.Err() != nil:
			err = fmt.Errorf("no answer in %v", getentTimeout)
		case errors.As(err, &exit) && exit.ExitCode() == 2:
			return "", errUnknown
		default:
			if msg, _, _ := strings.Cut(strings.TrimSpace(stderr.String()), "\n"); msg != "" {
				err = fmt.Errorf("%w: %s", err, clip(msg))
			}
		}
		return "", &Error{Op: "getent " + db, Arg: key, Err: err}
	}
	line, ok := strings.CutSuffix(string(out), "\n")
	switch {
	case !ok || line == "":
		err = errors.New("answered no line")
	case strings.Contains(line, "\n"):
		err = errors.New("answered more than one line")
	}
	if err != nil {
		return "", &Error{Op: "getent " + db, Arg: key, Err: err}
	}
	return line, nil
}

// parsePasswd parses a passwd(5) line, name:passwd:uid:gid:gecos:home:shell, into a User.
// Exactly seven fields, a name, and decimal 32-bit ids are required.
func parsePasswd(line string) (*User, error) {
	f := strings.Split(line, ":")
	if len(f) != 7 {
		return nil, fmt.Errorf("passwd line %q: %d fields, want 7 (name:passwd:uid:gid:gecos:home:shell)", clip(line), len(f))
	}
	if err := checkName(f[0]); err != nil {
		return nil, fmt.Errorf("passwd line %q: %w", clip(line), err)
	}
	uid, err := parseID("uid", f[2])
	if err != nil {
		return nil, fmt.Errorf("passwd line %q: %w", clip(line), err)
	}
	gid, err := parseID("gid", f[3])
	if err != nil {
		return nil, fmt.Errorf("passwd line %q: %w", clip(line), err)
	}
	return &User{Name: f[0], Uid: uid, Gid: gid, Home: f[5], Shell: f[6]}, nil
}

// parseGroup parses a group(5) line, name:passwd:gid:members, into a Group. Exactly four
// fields, a name, and a decimal 32-bit gid are required; the members are not read.
func parseGroup(line string) (*Group, error) {
	f := strings.Split(line, ":")
	if len(f) != 4 {
		return nil, fmt.Errorf("group line %q: %d fields, want 4 (name:passwd:gid:members)", clip(line), len(f))
	}
	if err := checkName(f[0]); err != nil {
		return nil, fmt.Errorf("group line %q: %w", clip(line), err)
	}
	gid, err := parseID("gid", f[2])
	if err != nil {
		return nil, fmt.Errorf("group line %q: %w", clip(line), err)
	}
	return &Group{Name: f[0], Gid: gid}, nil
}

// parseInitgroups parses getent initgroups' line for user name: the name, then the gid of
// each group the user is in, separated by blanks. None is a valid answer.
func parseInitgroups(line, name string) ([]uint32, error) {
	f := strings.Fields(line)
	if len(f) == 0 || f[0] != name {
		return nil, fmt.Errorf("initgroups line %q: does not start with %s", clip(line), name)
	}
	var ids []uint32
	for _, s := range f[1:] {
		id, err := parseID("gid", s)
		if err != nil {
			return nil, fmt.Errorf("initgroups line %q: %w", clip(line), err)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// checkName refuses an empty name, and the +name and -name of NIS compat entries, which
// name no account (os/user skips them too).
func checkName(name string) error {
	if name == "" || name[0] == '+' || name[0] == '-' {
		return fmt.Errorf("name %q is not an account's", name)
	}
	return nil
}

// parseID parses a uid or gid: decimal digits only, 0 to 4294967295.
func parseID(what, s string) (uint32, error) {
	id, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("%s %q is not a number from 0 to 4294967295", what, clip(s))
	}
	return uint32(id), nil
}

// clip keeps an error message's quote short.
func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
