package supervisor

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/daemonkit/daemonkit/instance"
)

// TestBindRefusesAnOpenDirectory: a unix socket's directory is checked as the state
// directory is: one that other users may write, unless sticky, is refused before anything
// is made there (they could swap the directory's entries between the bind and the chmod).
func TestBindRefusesAnOpenDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "open")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "s.sock")
	bs, err := bind([]Socket{{Name: "web", Network: "unix", Address: path, Mode: 0o660}}, nil)
	if err == nil {
		unbind(bs)
	}
	if !errors.Is(err, instance.ErrUnsafeDir) || !strings.Contains(err.Error(), path) {
		t.Errorf("bind in a directory all may write: %v; want ErrUnsafeDir, naming the socket", err)
	}
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Errorf("the socket: %v; want none made", err)
	}
}

// TestBindInTheUsersOwnDirectory: root binds a socket in another user's directory only if
// that user is the program's --user (a service user's /run/www), and only if that user
// cannot replace the directory itself: in a directory it may write (/tmp, sticky or not),
// it could move its own away and put a symlink to another service's in its place.
func TestBindInTheUsersOwnDirectory(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give a directory to another user")
	}
	base := t.TempDir()
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	www := filepath.Join(base, "www")
	sticky := filepath.Join(base, "tmp")
	inSticky := filepath.Join(sticky, "www")
	for _, d := range []string{www, sticky, inSticky} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(sticky, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{www, inSticky} {
		if err := os.Chown(d, 65534, 65534); err != nil {
			t.Fatal(err)
		}
	}
	user := &syscall.Credential{Uid: 65534, Gid: 65534}
	for _, c := range []struct {
		dir  string
		user *syscall.Credential
		ok   bool
	}{
		{www, nil, false},
		{www, &syscall.Credential{Uid: 12345, Gid: 12345}, false},
		{www, user, true},
		{inSticky, user, false},
	} {
		path := filepath.Join(c.dir, "s.sock")
		bs, err := bind([]Socket{{Name: "web", Network: "unix", Address: path, Mode: 0o660}}, c.user)
		if err == nil {
			if fi, err := os.Lstat(path); err != nil || fi.Mode().Perm() != 0o660 {
				t.Errorf("%s: %v, %v; want a socket of mode 0660", path, fi.Mode(), err)
			}
			unbind(bs)
		}
		if ok := err == nil; ok != c.ok || !ok && !errors.Is(err, instance.ErrUnsafeDir) {
			t.Errorf("bind %s as the socket of a program run as %+v: %v; want it bound: %v", path, c.user, err, c.ok)
		}
	}
}

// TestListenUnixModeOnlyForItsSocket: the mode is given to the socket file the bind made,
// in the directory that was checked, even when its path leads elsewhere a moment after the
// bind (its directory moved away, and a symlink to another service's put in its place): the
// other service's socket, root's too, keeps its mode.
func TestListenUnixModeOnlyForItsSocket(t *testing.T) {
	base := t.TempDir()
	theirs, other := filepath.Join(base, "theirs"), filepath.Join(base, "other")
	for _, d := range []string{theirs, other} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	ln, err := net.Listen("unix", filepath.Join(other, "s.sock")) // another service's
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if err := os.Chmod(filepath.Join(other, "s.sock"), 0o600); err != nil {
		t.Fatal(err)
	}
	moved := theirs + ".old"
	testHookBound = func() {
		if err := os.Rename(theirs, moved); err != nil {
			t.Error(err)
		}
		if err := os.Symlink(other, theirs); err != nil {
			t.Error(err)
		}
	}
	defer func() { testHookBound = nil }()
	bs, err := bind([]Socket{{Name: "web", Network: "unix", Address: filepath.Join(theirs, "s.sock"), Mode: 0o666}}, nil)
	if err == nil {
		defer unbind(bs)
	}
	if fi, err := os.Lstat(filepath.Join(other, "s.sock")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("another service's socket, which the path names since: %v, %v; want its mode 0600 kept", fi.Mode(), err)
	}
	if err != nil {
		t.Fatalf("bind: %v; want the socket bound in the directory checked", err)
	}
	if fi, err := os.Lstat(filepath.Join(moved, "s.sock")); err != nil || fi.Mode().Perm() != 0o666 {
		t.Errorf("the socket it bound, in its moved directory: %v, %v; want mode 0666", fi.Mode(), err)
	}
}
