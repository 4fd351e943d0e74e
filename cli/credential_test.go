package cli

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"syscall"
	"testing"

	"github.com/daemonkit/daemonkit/internal/testutil"
)

// credentialBefore is credential as it was before package account, os/user alone, with
// --group keeping the user's other groups (as initgroups(user, gid) does). It is the
// reference that credential must still match for every user os/user knows.
func credentialBefore(req *request) (*syscall.Credential, error) {
	if req.User == "" {
		return nil, nil
	}
	u, err := user.Lookup(req.User)
	if err != nil {
		if u2, err2 := user.LookupId(req.User); err2 == nil {
			u, err = u2, nil
		} else {
			return nil, fmt.Errorf("--user %s: %w", req.User, err)
		}
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	var groups []uint32
	if ids, err := u.GroupIds(); err == nil {
		for _, id := range ids {
			if g, err := strconv.ParseUint(id, 10, 32); err == nil {
				groups = append(groups, uint32(g))
			}
		}
	}
	if req.Group != "" {
		g, err := user.LookupGroup(req.Group)
		if err != nil {
			if g2, err2 := user.LookupGroupId(req.Group); err2 == nil {
				g, err = g2, nil
			} else {
				return nil, fmt.Errorf("--group %s: %w", req.Group, err)
			}
		}
		primary := uint32(gid)
		gid, _ = strconv.ParseUint(g.Gid, 10, 32)
		var kept []uint32
		for _, id := range groups {
			if id != primary {
				kept = append(kept, id)
			}
		}
		groups = kept
	}
	if !slices.Contains(groups, uint32(gid)) {
		groups = append([]uint32{uint32(gid)}, groups...)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: groups}, nil
}

// TestCredentialAsBefore: for users and groups of /etc/passwd and /etc/group, and for
// names and numbers no database knows, credential answers as it did with os/user alone,
// errors included. there is no getent, as in a minimal image.
func TestCredentialAsBefore(t *testing.T) {
	testutil.ProgramsIn(t, t.TempDir())
	for _, tc := range []struct{ user, group string }{
		{"", ""},
		{"root", ""},
		{"0", ""},
		{"root", "root"},
		{"root", "0"},
		{"nobody", ""},
		{"65534", ""},
		{"nobody", "nogroup"},
		{"nobody", "root"},
		{"daemon", ""},
		{"dk-no-such-user", ""},
		{"4000999", ""},
		{"root", "dk-no-such-group"},
		{"root", "4000999"},
	} {
		req := &request{ProcessFlags: ProcessFlags{User: tc.user, Group: tc.group}}
		got, err := req.credential()
		want, wantErr := credentialBefore(req)
		if fmt.Sprint(err) != fmt.Sprint(wantErr) || !reflect.DeepEqual(got, want) {
			t.Errorf("--user %q --group %q: credential = %+v, %v; before: %+v, %v", tc.user, tc.group, got, err, want, wantErr)
		}
	}
	req := &request{ProcessFlags: ProcessFlags{User: "dk-no-such-user"}}
	if _, err := req.credential(); err == nil || err.Error() != "--user dk-no-such-user: user: unknown user dk-no-such-user" {
		t.Errorf("credential: %v", err)
	}
	req = &request{ProcessFlags: ProcessFlags{User: "root", Group: "dk-no-such-group"}}
	if _, err := req.credential(); err == nil || err.Error() != "--group dk-no-such-group: group: unknown group dk-no-such-group" {
		t.Errorf("credential: %v", err)
	}
}

// TestCredentialFromGetent: a user and a group that only getent knows (as those of LDAP
// or SSSD are, to a binary built without cgo) are found. The fake getent has no
// initgroups database, as FreeBSD's: the user gets its primary group alone.
func TestCredentialFromGetent(t *testing.T) {
	const name, group = "dk-nss-cred-user", "dk-nss-cred-group"
	if _, err := user.Lookup(name); err == nil {
		t.Skipf("os/user knows %s", name)
	}
	if _, err := user.LookupGroup(group); err == nil {
		t.Skipf("os/user knows group %s", group)
	}
	dir := t.TempDir()
	script := `#!/bin/sh
case "$1 $2" in
"passwd ` + name + `") echo '` + name + `:x:4100001:4100002::/nonexistent:/bin/false' ;;
"group ` + group + `") echo '` + group + `:x:4100003:' ;;
"initgroups ` + name + `-member") echo '` + name + `-member 4100002 4100005' ;;
"passwd ` + name + `-member") echo '` + name + `-member:x:4100004:4100002::/nonexistent:/bin/false' ;;
initgroups*) echo "Unknown database: $1" >&2; exit 1 ;;
*) exit 2 ;;
esac
`
	if err := os.WriteFile(filepath.Join(dir, "getent"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	testutil.ProgramsIn(t, dir)

	for _, tc := range []struct {
		user, group string
		want        *syscall.Credential
		err         string
	}{
		{name, "", &syscall.Credential{Uid: 4100001, Gid: 4100002, Groups: []uint32{4100002}}, ""},
		{name, group, &syscall.Credential{Uid: 4100001, Gid: 4100003, Groups: []uint32{4100003}}, ""},
		{name, "root", &syscall.Credential{Uid: 4100001, Gid: 0, Groups: []uint32{0}}, ""},
		{"nobody", group, &syscall.Credential{Uid: 65534, Gid: 4100003, Groups: []uint32{4100003}}, ""},
		// a member of another group keeps it with --group, as initgroups(user, gid) does
		{name + "-member", "", &syscall.Credential{Uid: 4100004, Gid: 4100002, Groups: []uint32{4100002, 4100005}}, ""},
		{name + "-member", group, &syscall.Credential{Uid: 4100004, Gid: 4100003, Groups: []uint32{4100003, 4100005}}, ""},
		{"dk-no-such-user", "", nil, "--user dk-no-such-user: user: unknown user dk-no-such-user"},
		{name, "dk-no-such-group", nil, "--group dk-no-such-group: group: unknown group dk-no-such-group"},
	} {
		if tc.user == "nobody" {
			if _, err := user.Lookup("nobody"); err != nil {
				continue
			}
		}
		req := &request{ProcessFlags: ProcessFlags{User: tc.user, Group: tc.group}}
		got, err := req.credential()
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("--user %s --group %q: credential = %+v, %v; want error %s", tc.user, tc.group, got, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("--user %s --group %q: credential = %+v, %v; want %+v", tc.user, tc.group, got, err, tc.want)
		}
	}
}
