package sockfile

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"
)

// TestChmod: the socket at the path gets the mode; a symlink in its place (to a file that
// must keep its mode), or a file that is not a socket, is refused and left as it was.
func TestChmod(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "s.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if err := Chmod(sock, 0o660); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(sock); err != nil || fi.Mode().Perm() != 0o660 {
		t.Fatalf("the socket: %v, %v; want mode 0660", fi.Mode(), err)
	}

	victim := filepath.Join(dir, "victim")
	if err := os.WriteFile(victim, []byte("precious"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.sock")
	if err := os.Symlink(victim, link); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{link, victim} {
		if err := Chmod(path, 0o666); !errors.Is(err, ErrNotOurs) {
			t.Errorf("Chmod(%s) = %v, want ErrNotOurs", path, err)
		}
	}
	if fi, err := os.Stat(victim); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the symlink's target: %v, %v; want its mode 0600 kept", fi.Mode(), err)
	}
}
