package supervisor

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestListenUnixMode: the socket file has the mode asked for whatever the umask (the
// test's is 022 or so, so 0666 is looser and 0600 stricter than what it gives), it accepts,
// a second listener on the path is refused as net.Listen refuses it, and closing leaves the
// path to its owner.
func TestListenUnixMode(t *testing.T) { testListenUnixMode(t, t.TempDir()) }

// testListenUnixMode is TestListenUnixMode in dir.
func testListenUnixMode(t *testing.T, dir string) {
	held, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	for _, mode := range []os.FileMode{0o600, 0o666} {
		path := filepath.Join(dir, mode.String())
		ln, _, err := listenUnix(held, path, mode)
		if err != nil {
			t.Fatal(err)
		}
		fi, err := os.Lstat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != mode {
			t.Errorf("%s: mode %v, want a socket of %v", path, fi.Mode(), mode)
		}
		c, err := net.Dial("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		a, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		a.Close()
		c.Close()

		_, _, err = listenUnix(held, path, mode)
		var op *net.OpError
		if !errors.As(err, &op) || !errors.Is(err, syscall.EADDRINUSE) || op.Op != "listen" {
			t.Errorf("second listener on %s: %v, want listen's address already in use", path, err)
		}
		ln.Close()
		if _, err := os.Lstat(path); err != nil {
			t.Errorf("closing removed %s: %v", path, err)
		}
	}
}
