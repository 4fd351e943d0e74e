package sockfile

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// TestBoundFile: the kernel names the file a socket made when it was bound, and still
// does once its directory has been moved away and another socket put at its path; and
// ChmodAt changes that file, in the directory it was bound in, and refuses the other.
func TestBoundFile(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "d")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("unix", filepath.Join(dir, "s.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	raw, err := ln.(*net.UnixListener).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var dev, ino uint64
	var berr error
	if err := raw.Control(func(fd uintptr) { dev, ino, berr = BoundFile(int(fd)) }); err != nil {
		t.Fatal(err)
	}
	if berr != nil {
		t.Skip(berr) // a kernel without CONFIG_UNIX_DIAG
	}
	var st unix.Stat_t
	if err := unix.Lstat(filepath.Join(dir, "s.sock"), &st); err != nil {
		t.Fatal(err)
	}
	if uint64(st.Dev) != dev || uint64(uint32(st.Ino)) != ino {
		t.Fatalf("BoundFile = %d, %d; want the socket file's %d, %d", dev, ino, st.Dev, st.Ino)
	}

	held, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	if err := os.Rename(dir, dir+".old"); err != nil {
		t.Fatal(err)
	}
	other, err := net.Listen("unix", filepath.Join(base, "other.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(base, "other.sock"), filepath.Join(dir, "s.sock")); err != nil {
		t.Fatal(err)
	}
	newDir, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer newDir.Close()
	if err := ChmodAt(int(newDir.Fd()), "s.sock", filepath.Join(dir, "s.sock"), dev, ino, 0o666); !isNotOurs(err) {
		t.Errorf("ChmodAt on another socket put at the path: %v; want ErrNotOurs", err)
	}
	if err := ChmodAt(int(held.Fd()), "s.sock", filepath.Join(dir, "s.sock"), dev, ino, 0o660); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]os.FileMode{filepath.Join(dir+".old", "s.sock"): 0o660, filepath.Join(dir, "s.sock"): 0o777 &^ umask()} {
		if fi, err := os.Lstat(path); err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: %v, %v; want mode %v", path, fi.Mode(), err, want)
		}
	}
}

func isNotOurs(err error) bool { return errors.Is(err, ErrNotOurs) }

// umask is the process's umask, read by setting it and back.
func umask() os.FileMode {
	m := syscall.Umask(0)
	syscall.Umask(m)
	return os.FileMode(m)
}
