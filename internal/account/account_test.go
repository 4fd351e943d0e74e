package account

import (
	"errors"
	"os"
	"os/user"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/daemonkit/daemonkit/internal/sysbin"
	"github.com/daemonkit/daemonkit/internal/testutil"
)

func TestParsePasswd(t *testing.T) {
	for _, tc := range []struct {
		line string
		want *User // nil: an error
	}{
		{"root:x:0:0:root:/root:/bin/bash", &User{Name: "root", Uid: 0, Gid: 0, Home: "/root", Shell: "/bin/bash"}},
		{"bob:*:4000123:4000:Bob,,,:/home/bob:/bin/zsh", &User{Name: "bob", Uid: 4000123, Gid: 4000, Home: "/home/bob", Shell: "/bin/zsh"}},
		{"bob::0:1:::", &User{Name: "bob", Uid: 0, Gid: 1}}, // empty passwd, gecos, home, shell
		{"max:x:4294967295:4294967295:::", &User{Name: "max", Uid: 4294967295, Gid: 4294967295}},
		{"bob:x:007:010:::", &User{Name: "bob", Uid: 7, Gid: 10}},
		{"", nil},
		{"bob", nil},
		{"bob:x:1000:1000:Bob:/home/bob", nil}, // 6 fields
		{"bob:x:1000:1000:Bob:/home/bob:/bin/sh:extra", nil}, // 8 fields
		{":x:1000:1000:Bob:/home/bob:/bin/sh", nil},          // no name
		{"+bob:x:1000:1000:Bob:/home/bob:/bin/sh", nil},      // NIS compat entry
		{"-bob:x:1000:1000:Bob:/home/bob:/bin/sh", nil},      // NIS compat entry
		{"bob:x:bob:1000:Bob:/home/bob:/bin/sh", nil},        // uid not numeric
		{"bob:x::1000:Bob:/home/bob:/bin/sh", nil},           // uid empty
		{"bob:x:-1:1000:Bob:/home/bob:/bin/sh", nil},         // uid negative
		{"bob:x:+1:1000:Bob:/home/bob:/bin/sh", nil},         // uid signed
		{"bob:x: 1:1000:Bob:/home/bob:/bin/sh", nil},         // uid with a blank
		{"bob:x:0x10:1000:Bob:/home/bob:/bin/sh", nil},       // uid in hex
		{"bob:x:1_000:1000:Bob:/home/bob:/bin/sh", nil},      // uid with an underscore
		{"bob:x:4294967296:1000:Bob:/home/bob:/bin/sh", nil}, // uid > 2^32-1
		{"bob:x:99999999999999999999:1000:::", nil},          // uid > 2^64-1
		{"bob:x:1000:4294967296:Bob:/home/bob:/bin/sh", nil}, // gid > 2^32-1
		{"bob:x:1000:staff:Bob:/home/bob:/bin/sh", nil},      // gid not numeric
		{"bob:x:1000::Bob:/home/bob:/bin/sh", nil},           // gid empty
	} {
		got, err := parsePasswd(tc.line)
		switch {
		case tc.want == nil && err == nil:
			t.Errorf("parsePasswd(%q) = %+v, want an error", tc.line, got)
		case tc.want != nil && err != nil:
			t.Errorf("parsePasswd(%q): %v", tc.line, err)
		case tc.want != nil && !reflect.DeepEqual(got, tc.want):
			t.Errorf("parsePasswd(%q) = %+v, want %+v", tc.line, got, tc.want)
		case err != nil && !strings.HasPrefix(err.Error(), "passwd line "):
			t.Errorf("parsePasswd(%q): error %q does not name the line", tc.line, err)
		}
	}
}

func TestParseGroup(t *testing.T) {
	for _, tc := range []struct {
		line string
		want *Group // nil: an error
	}{
		{"root:x:0:", &Group{Name: "root", Gid: 0}},
		{"devs:*:4000:alice,bob", &Group{Name: "devs", Gid: 4000}},
		{"max:x:4294967295:", &Group{Name: "max", Gid: 4294967295}},
		{"", nil},
		{"devs", nil},
		{"devs:x:4000", nil},           // 3 fields
		{"devs:x:4000:alice:bob", nil}, // 5 fields
		{":x:4000:", nil},              // no name
		{"+devs:x:4000:", nil},         // NIS compat entry
		{"devs:x:devs:", nil},          // gid not numeric
		{"devs:x::", nil},              // gid empty
		{"devs:x:-4000:", nil},         // gid negative
		{"devs:x:4294967296:", nil},    // gid > 2^32-1
	} {
		got, err := parseGroup(tc.line)
		switch {
		case tc.want == nil && err == nil:
			t.Errorf("parseGroup(%q) = %+v, want an error", tc.line, got)
		case tc.want != nil && err != nil:
			t.Errorf("parseGroup(%q): %v", tc.line, err)
		case tc.want != nil && !reflect.DeepEqual(got, tc.want):
			t.Errorf("parseGroup(%q) = %+v, want %+v", tc.line, got, tc.want)
		case err != nil && !strings.HasPrefix(err.Error(), "group line "):
			t.Errorf("parseGroup(%q): error %q does not name the line", tc.line, err)
		}
	}
}

func TestParseInitgroups(t *testing.T) {
	for _, tc := range []struct {
		line string
		want []uint32
		ok   bool
	}{
		{"bob                   4000 27 100", []uint32{4000, 27, 100}, true},
		{"bob 4294967295", []uint32{4294967295}, true},
		{"bob                  ", nil, true}, // in no group: glibc prints the name alone
		{"bob\t4000", []uint32{4000}, true},
		{"", nil, false},
		{"alice 4000", nil, false}, // someone else's
		{"bobby 4000", nil, false},
		{" 4000 27", nil, false},
		{"bob 4000 wheel", nil, false},
		{"bob 4000 -1", nil, false},
		{"bob 4294967296", nil, false},
	} {
		got, err := parseInitgroups(tc.line, "bob")
		switch {
		case !tc.ok && err == nil:
			t.Errorf("parseInitgroups(%q) = %v, want an error", tc.line, got)
		case tc.ok && err != nil:
			t.Errorf("parseInitgroups(%q): %v", tc.line, err)
		case tc.ok && !reflect.DeepEqual(got, tc.want):
			t.Errorf("parseInitgroups(%q) = %v, want %v", tc.line, got, tc.want)
		}
	}
}

func TestAnswers(t *testing.T) {
	for _, tc := range []struct {
		key, name string
		id        uint32
		want      bool
	}{
		{"bob", "bob", 4000, true},
		{"4000", "bob", 4000, true},
		{"04000", "bob", 4000, true},
		{"bob", "alice", 4000, false},
		{"4001", "bob", 4000, false},
		{"4294967296", "bob", 0, false},
		{"Bob", "bob", 4000, false},
	} {
		if got := answers(tc.key, tc.name, tc.id); got != tc.want {
			t.Errorf("answers(%q, %q, %d) = %v, want %v", tc.key, tc.name, tc.id, got, tc.want)
		}
	}
}

// nssUser and nssGroup are accounts the fake getents below know, and os/user must not.
const (
	nssUser  = "dk-nss-test-user"
	nssUID   = "4000123"
	nssGroup = "dk-nss-test-group"
	nssGID   = "4000456"
)

// fakeGetent puts a getent running script (sh) first on PATH. Every run appends its
// arguments to the file it returns.
func fakeGetent(t *testing.T, script string) (calls string) {
	t.Helper()
	for _, name := range []string{nssUser, nssUID} {
		if _, err := user.Lookup(name); err == nil {
			t.Skipf("os/user knows %s: the fallback cannot be tested here", name)
		}
	}
	if _, err := user.LookupGroup(nssGroup); err == nil {
		t.Skipf("os/user knows group %s: the fallback cannot be tested here", nssGroup)
	}
	dir := t.TempDir()
	calls = filepath.Join(dir, "calls")
	body := "#!/bin/sh\necho \"$*\" >> '" + calls + "'\n" + script + "\n"
	if err := os.WriteFile(filepath.Join(dir, "getent"), []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	testutil.ProgramsIn(t, dir)
	return calls
}

// ran is what the fake getent was run with, one run a line.
func ran(t *testing.T, calls string) []string {
	t.Helper()
	b, err := os.ReadFile(calls)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// nssScript answers as getent would with nssUser and nssGroup in NSS only.
const nssScript = `case "$1 $2" in
"passwd ` + nssUser + `"|"passwd ` + nssUID + `") echo '` + nssUser + `:x:` + nssUID + `:` + nssGID + `:NSS user:/home/nss:/bin/sh' ;;
"group ` + nssGroup + `"|"group ` + nssGID + `") echo '` + nssGroup + `:x:` + nssGID + `:` + nssUser + `' ;;
"initgroups ` + nssUser + `") echo '` + nssUser + `      4000789 ` + nssGID + ` 27' ;;
*) exit 2 ;;
esac`

func TestRootFromOSUser(t *testing.T) {
	calls := fakeGetent(t, "echo 'root:x:666:666::/:/bin/sh'")
	for _, name := range []string{"root", "0"} {
		u, err := LookupUser(name)
		if err != nil {
			t.Fatalf("LookupUser(%q): %v", name, err)
		}
		if u.Name != "root" || u.Uid != 0 || u.Gid != 0 || u.local == nil {
			t.Errorf("LookupUser(%q) = %+v, want root, uid 0, gid 0, from os/user", name, u)
		}
		ids, err := u.GroupIds()
		if err != nil {
			t.Fatalf("root's GroupIds: %v", err)
		}
		if len(ids) == 0 || ids[0] != 0 {
			t.Errorf("root's GroupIds = %v, want gid 0 first", ids)
		}
		g, err := LookupGroup(name)
		if err != nil {
			t.Fatalf("LookupGroup(%q): %v", name, err)
		}
		if g.Gid != 0 {
			t.Errorf("LookupGroup(%q) = %+v, want gid 0", name, g)
		}
	}
	if got := ran(t, calls); got != nil {
		t.Errorf("getent ran for root: %q", got)
	}
}

func TestUserFromGetent(t *testing.T) {
	calls := fakeGetent(t, nssScript)
	want := User{Name: nssUser, Uid: 4000123, Gid: 4000456}
	for _, name := range []string{nssUser, nssUID} {
		u, err := LookupUser(name)
		if err != nil {
			t.Fatalf("LookupUser(%q): %v", name, err)
		}
		if u.local != nil || u.Name != want.Name || u.Uid != want.Uid || u.Gid != want.Gid {
			t.Errorf("LookupUser(%q) = %+v, want %+v from getent", name, u, want)
		}
	}
	u, _ := LookupUser(nssUser)
	ids, err := u.GroupIds()
	if err != nil {
		t.Fatal(err)
	}
	if want := []uint32{4000456, 4000789, 27}; !reflect.DeepEqual(ids, want) {
		t.Errorf("GroupIds = %v, want %v (primary first, once)", ids, want)
	}
	wantCalls := []string{"passwd " + nssUser, "passwd " + nssUID, "passwd " + nssUser, "initgroups " + nssUser}
	if got := ran(t, calls); !reflect.DeepEqual(got, wantCalls) {
		t.Errorf("getent ran %q, want %q", got, wantCalls)
	}
}

func TestGroupFromGetent(t *testing.T) {
	fakeGetent(t, nssScript)
	for _, name := range []string{nssGroup, nssGID} {
		g, err := LookupGroup(name)
		if err != nil {
			t.Fatalf("LookupGroup(%q): %v", name, err)
		}
		if want := (Group{Name: nssGroup, Gid: 4000456}); *g != want {
			t.Errorf("LookupGroup(%q) = %+v, want %+v", name, g, want)
		}
	}
}

// TestGroupIdsWithoutInitgroups: where getent initgroups fails (FreeBSD's getent has no
// such database), an NSS user's groups are os/user's: its primary group, and any group of
// /etc/group that lists it (none here).
func TestGroupIdsWithoutInitgroups(t *testing.T) {
	calls := fakeGetent(t, `case "$1" in
passwd) echo '`+nssUser+`:x:`+nssUID+`:`+nssGID+`::/:/bin/sh' ;;
*) echo "Unknown database: $1" >&2; exit 1 ;;
esac`)
	u, err := LookupUser(nssUser)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := u.GroupIds()
	if err != nil {
		t.Fatal(err)
	}
	if want := []uint32{4000456}; !reflect.DeepEqual(ids, want) {
		t.Errorf("GroupIds = %v, want %v", ids, want)
	}
	if got, want := ran(t, calls), []string{"passwd " + nssUser, "initgroups " + nssUser}; !reflect.DeepEqual(got, want) {
		t.Errorf("getent ran %q, want %q", got, want)
	}
}

// TestUnknownToGetent: getent's exit status 2 (not found) leaves os/user's error as it is,
// for names and for numbers.
func TestUnknownToGetent(t *testing.T) {
	calls := fakeGetent(t, "exit 2")
	for _, name := range []string{"dk-no-such-user", "4000999"} {
		_, err := LookupUser(name)
		var unknown user.UnknownUserError
		if !errors.As(err, &unknown) || err.Error() != "user: unknown user "+name {
			t.Errorf("LookupUser(%q): %v, want user.UnknownUserError", name, err)
		}
		_, err = LookupGroup(name)
		var unknownGroup user.UnknownGroupError
		if !errors.As(err, &unknownGroup) || err.Error() != "group: unknown group "+name {
			t.Errorf("LookupGroup(%q): %v, want user.UnknownGroupError", name, err)
		}
	}
	if got := ran(t, calls); len(got) != 4 {
		t.Errorf("getent ran %q, want 4 runs", got)
	}
}

// TestNoGetent: without getent on PATH, os/user's error is the answer.
func TestNoGetent(t *testing.T) {
	testutil.ProgramsIn(t, t.TempDir())
	_, err := LookupUser("dk-no-such-user")
	if err == nil || err.Error() != "user: unknown user dk-no-such-user" {
		t.Errorf("LookupUser: %v, want user: unknown user dk-no-such-user", err)
	}
	_, err = LookupGroup("dk-no-such-group")
	if err == nil || err.Error() != "group: unknown group dk-no-such-group" {
		t.Errorf("LookupGroup: %v, want group: unknown group dk-no-such-group", err)
	}
}

// TestRealGetent: this system's getent, if any, does not know a made-up name either.
func TestRealGetent(t *testing.T) {
	for _, name := range []string{"dk-no-such-user", "4000999"} {
		_, err := LookupUser(name)
		var unknown user.UnknownUserError
		if !errors.As(err, &unknown) {
			t.Errorf("LookupUser(%q): %v, want user.UnknownUserError", name, err)
		}
	}
}

// TestUnaskable: a name getent would take for an option, or that no colon-separated line
// can hold, is not asked about.
func TestUnaskable(t *testing.T) {
	calls := fakeGetent(t, "echo 'x:x:1:1:::'")
	for _, name := range []string{"-s", "--help", "a:b", "a\nb", ""} {
		if _, err := LookupUser(name); err == nil {
			t.Errorf("LookupUser(%q) found a user", name)
		}
		if _, err := LookupGroup(name); err == nil {
			t.Errorf("LookupGroup(%q) found a group", name)
		}
	}
	if got := ran(t, calls); got != nil {
		t.Errorf("getent ran: %q", got)
	}
}

// TestGetentFails: any failure but "not found" is an error naming getent's operation and
// argument, and saying why.
func TestGetentFails(t *testing.T) {
	for _, tc := range []struct {
		name, script, want string
	}{
		{"exit 1", "echo 'getent: cannot reach the directory' >&2; echo 'second line' >&2; exit 1",
			"getent passwd " + nssUser + ": exit status 1: getent: cannot reach the directory"},
		{"killed", "kill -9 $$", "getent passwd " + nssUser + ": signal: killed"},
		{"malformed", "echo '" + nssUser + ":x:notanumber:1:::'",
			`getent passwd ` + nssUser + `: passwd line "` + nssUser + `:x:notanumber:1:::": uid "notanumber" is not a number from 0 to 4294967295`},
		{"overflow", "echo '" + nssUser + ":x:4294967296:1:::'",
			`getent passwd ` + nssUser + `: passwd line "` + nssUser + `:x:4294967296:1:::": uid "4294967296" is not a number from 0 to 4294967295`},
		{"too few fields", "echo '" + nssUser + ":x:1:1::'",
			`getent passwd ` + nssUser + `: passwd line "` + nssUser + `:x:1:1::": 6 fields, want 7 (name:passwd:uid:gid:gecos:home:shell)`},
		{"someone else", "echo 'root:x:0:0:::'",
			"getent passwd " + nssUser + ": answered with user root (uid 0)"},
		{"empty", "true", "getent passwd " + nssUser + ": answered no line"},
		{"no newline", "printf '" + nssUser + ":x:1:1:::'", "getent passwd " + nssUser + ": answered no line"},
		{"two lines", "echo '" + nssUser + ":x:1:1:::'; echo '" + nssUser + ":x:2:2:::'",
			"getent passwd " + nssUser + ": answered more than one line"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fakeGetent(t, tc.script)
			u, err := LookupUser(nssUser)
			var e *Error
			if !errors.As(err, &e) || e.Op != "getent passwd" || e.Arg != nssUser {
				t.Fatalf("LookupUser = %+v, %v; want an *Error of getent passwd %s", u, err, nssUser)
			}
			if err.Error() != tc.want {
				t.Errorf("error:\n%s\nwant:\n%s", err, tc.want)
			}
		})
	}
}

func TestGetentGroupMalformed(t *testing.T) {
	fakeGetent(t, "echo '"+nssGroup+":x:-5:'")
	_, err := LookupGroup(nssGroup)
	want := `getent group ` + nssGroup + `: group line "` + nssGroup + `:x:-5:": gid "-5" is not a number from 0 to 4294967295`
	if err == nil || err.Error() != want {
		t.Errorf("LookupGroup: %v, want %s", err, want)
	}
}

func TestGetentTimeout(t *testing.T) {
	old := getentTimeout
	getentTimeout = 200 * time.Millisecond
	t.Cleanup(func() { getentTimeout = old })
	fakeGetent(t, "exec sleep 30")
	start := time.Now()
	_, err := LookupUser(nssUser)
	if want := "getent passwd " + nssUser + ": no answer in 200ms"; err == nil || err.Error() != want {
		t.Errorf("LookupUser: %v, want %s", err, want)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("LookupUser took %v", d)
	}
}

func TestPasswdShell(t *testing.T) {
	path := filepath.Join(t.TempDir(), "passwd")
	data := "root:x:0:0:root:/root:/bin/bash\n" +
		"# not a line\n" +
		"bob:x:1000:1000:Bob:/home/bob:/bin/zsh\n" +
		"bob:x:1001:1000:another bob:/home/bob2:/bin/fish\n" +
		"noshell:x:1002:1000::/home/n:\n" +
		"last:x:1003:1000::/home/l:/bin/dash" // no newline at the end
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		uid  uint32
		want string
	}{
		{"root", 0, "/bin/bash"},
		{"bob", 1000, "/bin/zsh"},
		{"bob", 1001, "/bin/fish"}, // the line of that uid, not the first of the name
		{"bob", 7, ""},
		{"noshell", 1002, ""},
		{"last", 1003, "/bin/dash"},
		{"nobody", 65534, ""},
	} {
		if got := passwdShell(path, tc.name, tc.uid); got != tc.want {
			t.Errorf("passwdShell(%s, %d) = %q, want %q", tc.name, tc.uid, got, tc.want)
		}
	}
	if got := passwdShell(filepath.Join(t.TempDir(), "none"), "root", 0); got != "" {
		t.Errorf("passwdShell of a missing file = %q, want none", got)
	}
}

func TestIdentity(t *testing.T) {
	for _, tc := range []struct {
		u    User
		want []string
	}{
		{User{Name: "bob", Home: "/home/bob", Shell: "/bin/zsh"}, []string{"USER=bob", "LOGNAME=bob", "SHELL=/bin/zsh", "HOME=/home/bob"}},
		{User{Name: "bob"}, []string{"USER=bob", "LOGNAME=bob", "SHELL=/bin/sh"}}, // as su gives an account without one
	} {
		if got := tc.u.Identity(); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%+v.Identity() = %q, want %q", tc.u, got, tc.want)
		}
	}
}

func TestLookupUserShell(t *testing.T) {
	u, err := LookupUser("root")
	if err != nil {
		t.Skip("no root account here:", err)
	}
	if want := passwdShell(passwdPath, "root", 0); u.Shell != want || want == "" {
		t.Errorf("LookupUser(root).Shell = %q, want %q, /etc/passwd's", u.Shell, want)
	}
}

// TestGetentNotFromPathNorItsEnvironment: root runs the system's getent, never one PATH
// names first, and with no environment: a supervisor's is its program's, perhaps from an
// env file the --user may write (PATH, LD_PRELOAD).
func TestGetentNotFromPathNorItsEnvironment(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the rule is root's")
	}
	calls := fakeGetent(t, `env > "$(dirname "$0")/env"; exit 2`)
	sysbin.Dirs = []string{t.TempDir()} // getent now only on PATH
	t.Setenv("DK_FROM_THE_ENV_FILE", "1")
	_, _ = LookupUser(nssUser)
	if got := ran(t, calls); len(got) != 0 {
		t.Errorf("PATH's getent ran %q as root", got)
	}
	sysbin.Dirs = []string{filepath.Dir(calls)}
	_, _ = LookupUser(nssUser)
	env, err := os.ReadFile(filepath.Join(filepath.Dir(calls), "env"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(env), "DK_FROM_THE_ENV_FILE") {
		t.Errorf("getent ran with the caller's environment:\n%s", env)
	}
}
