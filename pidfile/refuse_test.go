package pidfile

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// expectRefused checks that Acquire, Probe and RemoveStale all refuse path with an error
// matching sentinel whose message contains what, and that the file at keep (the symlink's
// target, the other link, ...) is left exactly as it was.
func expectRefused(t *testing.T, path string, sentinel error, what string, keep ...string) {
	t.Helper()
	before := make([]fileState, len(keep))
	for i, k := range keep {
		before[i] = statOf(t, k)
	}
	check := func(op string, err error) {
		t.Helper()
		if !errors.Is(err, sentinel) {
			t.Errorf("%s(%q): %v, want %v", op, path, err, sentinel)
			return
		}
		if !strings.Contains(err.Error(), what) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s(%q): message %q does not say %q and the path", op, path, err, what)
		}
	}
	f, err := Acquire(path)
	if f != nil {
		_ = f.Release()
	}
	check("Acquire", err)
	_, err = Probe(path)
	check("Probe", err)
	removed, err := RemoveStale(path)
	if removed {
		t.Errorf("RemoveStale(%q) removed it", path)
	}
	check("RemoveStale", err)
	for i, k := range keep {
		if after := statOf(t, k); after != before[i] {
			t.Errorf("%s changed: %+v -> %+v", k, before[i], after)
		}
	}
}

func TestRefuseSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "precious")
	if err := os.WriteFile(target, []byte("precious data\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "d.pid")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	expectRefused(t, link, ErrNotRegular, "symbolic link", target)
	if _, err := os.Lstat(link); err != nil {
		t.Errorf("symlink gone: %v", err)
	}

	dangling := filepath.Join(dir, "dangling.pid")
	missing := filepath.Join(dir, "missing")
	if err := os.Symlink(missing, dangling); err != nil {
		t.Fatal(err)
	}
	expectRefused(t, dangling, ErrNotRegular, "symbolic link")
	if _, err := os.Lstat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a dangling symlink's target was created: %v", err)
	}
}

func TestRefuseDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.pid")
	if err := os.Mkdir(path, 0o755); err != nil {
		t.Fatal(err)
	}
	expectRefused(t, path, ErrNotRegular, "a directory")
}

func TestRefuseFIFO(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.pid")
	if err := unix.Mkfifo(path, 0o644); err != nil {
		t.Fatal(err)
	}
	expectRefused(t, path, ErrNotRegular, "a FIFO")

	// The check after opening, for a FIFO that appears between Lstat and open: O_NONBLOCK
	// keeps the open from blocking and fstat says what it is.
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		t.Fatal(err)
	}
	if err := checkFile(&st, true); !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), "a FIFO") {
		t.Fatalf("checkFile(FIFO) = %v", err)
	}
}

func TestRefuseSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.pid")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Skipf("cannot make a unix socket: %v", err)
	}
	defer l.Close()
	expectRefused(t, path, ErrNotRegular, "a socket")
}

func TestRefuseDevice(t *testing.T) {
	var st unix.Stat_t
	if err := unix.Lstat("/dev/null", &st); err != nil || uint32(st.Mode)&unix.S_IFMT != unix.S_IFCHR {
		t.Skip("no /dev/null character device")
	}
	expectRefused(t, "/dev/null", ErrNotRegular, "a character device")
}

func TestRefuseHardLink(t *testing.T) {
	dir := t.TempDir()
	other := filepath.Join(dir, "other")
	if err := os.WriteFile(other, []byte("someone else's data\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "d.pid")
	if err := os.Link(other, path); err != nil {
		t.Fatal(err)
	}
	expectRefused(t, path, ErrHardLink, "2 links", other)
	if _, err := os.Lstat(path); err != nil {
		t.Errorf("hard link removed: %v", err)
	}
}

func TestRefuseOtherOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give a file away")
	}
	path := filepath.Join(t.TempDir(), "d.pid")
	if err := os.WriteFile(path, []byte("12345\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(path, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	before := statOf(t, path)
	_, err := Acquire(path)
	if !errors.Is(err, ErrNotOwner) || !strings.Contains(err.Error(), "uid 65534") {
		t.Fatalf("Acquire: %v, want ErrNotOwner naming uid 65534", err)
	}
	removed, err := RemoveStale(path)
	if removed || !errors.Is(err, ErrNotOwner) {
		t.Fatalf("RemoveStale: %v, %v; want ErrNotOwner", removed, err)
	}
	s := mustProbe(t, path) // reading another user's pidfile is fine
	if s.State != Stale || s.FilePID != 12345 {
		t.Fatalf("Probe = %+v", s)
	}
	if after := statOf(t, path); after != before {
		t.Fatalf("file changed: %+v -> %+v", before, after)
	}
}
