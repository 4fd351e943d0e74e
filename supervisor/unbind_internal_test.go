package supervisor

import (
	"net"
	"os"
	"path/filepath"
	"testing"
)

// TestUnbindRemovesOnlyItsSocket: unbind removes the socket file it bound, and nothing
// that its path names since: the owner of the socket's directory (a service user's) who
// moves that directory away and puts a symlink to another service's directory in its place
// must not have the supervisor remove that service's socket. The moved file is removed.
func TestUnbindRemovesOnlyItsSocket(t *testing.T) {
	base := t.TempDir()
	theirs, other := filepath.Join(base, "theirs"), filepath.Join(base, "other")
	for _, d := range []string{theirs, other} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	sockets, err := bind([]Socket{{Name: "web", Network: "unix", Address: filepath.Join(theirs, "s.sock")}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("unix", filepath.Join(other, "s.sock")) // another service's
	if err != nil {
		unbind(sockets)
		t.Fatal(err)
	}
	defer ln.Close()
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	moved := theirs + ".old"
	if err := os.Rename(theirs, moved); err != nil {
		unbind(sockets)
		t.Fatal(err)
	}
	if err := os.Symlink(other, theirs); err != nil {
		unbind(sockets)
		t.Fatal(err)
	}
	unbind(sockets)
	if _, err := os.Lstat(filepath.Join(other, "s.sock")); err != nil {
		t.Errorf("another service's socket, named by the path through a symlink put there since: %v; want it left", err)
	}
	if _, err := os.Lstat(filepath.Join(moved, "s.sock")); !os.IsNotExist(err) {
		t.Errorf("the socket it bound, in its moved directory: %v; want it removed", err)
	}
}
