package logfile

import (
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/daemonkit/daemonkit/internal/keepfile"
	"golang.org/x/sys/unix"
)

// openWithin calls Open in a goroutine and fails the test if it has not returned after
// waitLimit: Open must never block.
func openWithin(t *testing.T, path string) (*os.File, error) {
	t.Helper()
	type result struct {
		f   *os.File
		err error
	}
	done := make(chan result, 1)
	go func() {
		f, err := Open(path)
		done <- result{f, err}
	}()
	select {
	case r := <-done:
		if r.f != nil {
			t.Cleanup(func() { r.f.Close() })
		}
		return r.f, r.err
	case <-time.After(waitLimit):
		t.Fatalf("Open(%q) still blocked after %v", path, waitLimit)
	}
	return nil, nil
}

// withUmask runs f with the process's umask set to mask.
func withUmask(mask int, f func()) {
	old := unix.Umask(mask)
	defer unix.Umask(old)
	f()
}

func modeOf(t *testing.T, path string) fs.FileMode {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode()
}

// TestOpenCreatesWithModes: a new file is 0640 (and sticky on Linux) and new directories
// 0755 whatever the umask (without the fchmods, umask 077 gives 0600 and 0700).
func TestOpenCreatesWithModes(t *testing.T) {
	for _, mask := range []int{0, 0o077} {
		root := t.TempDir()
		path := filepath.Join(root, "a", "b", "app.log")
		var err error
		withUmask(mask, func() { _, err = openWithin(t, path) })
		if err != nil {
			t.Fatalf("umask %#o: %v", mask, err)
		}
		if m, want := modeOf(t, path), 0o640|keepfile.Mode; m != want {
			t.Errorf("umask %#o: file mode %v, want %v (sticky on Linux, so that tmpfiles cleaners keep it)", mask, m, want)
		}
		for _, d := range []string{filepath.Join(root, "a"), filepath.Join(root, "a", "b")} {
			if m := modeOf(t, d); m != fs.ModeDir|0o755 {
				t.Errorf("umask %#o: %s mode %v, want drwxr-xr-x", mask, d, m)
			}
		}
	}
}

// TestOpenAppendsAndKeepsMode: an existing file keeps its content and its permissions
// (made sticky on Linux, as logrotate's create does not), and is appended to; the descriptor is close-on-exec, O_APPEND and no longer O_NONBLOCK.
func TestOpenAppendsAndKeepsMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.log")
	writeFile(t, path, "old line\n", 0o600)
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := openWithin(t, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("new line\n"); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, path); got != "old line\nnew line\n" {
		t.Errorf("content %q, want the old line then the new one", got)
	}
	if m := modeOf(t, path); m != 0o600|keepfile.Mode {
		t.Errorf("mode %v, want the existing file's -rw-------, sticky on Linux (so that tmpfiles cleaners keep it, as one Open made)", m)
	}
	fd := uintptr(f.Fd())
	if fl, err := unix.FcntlInt(fd, unix.F_GETFD, 0); err != nil || fl&unix.FD_CLOEXEC == 0 {
		t.Errorf("F_GETFD = %#x, %v: want FD_CLOEXEC", fl, err)
	}
	fl, err := unix.FcntlInt(fd, unix.F_GETFL, 0)
	if err != nil || fl&unix.O_APPEND == 0 || fl&unix.O_NONBLOCK != 0 {
		t.Errorf("F_GETFL = %#x, %v: want O_APPEND without O_NONBLOCK", fl, err)
	}
}

// TestOpenThroughSymlinkedDirectory: a symlinked parent directory is used; a dangling
// symlink as parent is not created through.
func TestOpenThroughSymlinkedDirectory(t *testing.T) {
	root := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, "real"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real", filepath.Join(root, "logs")); err != nil {
		t.Fatal(err)
	}
	if _, err := openWithin(t, filepath.Join(root, "logs", "app.log")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "real", "app.log")); err != nil {
		t.Errorf("file not made in the symlinked directory: %v", err)
	}

	if err := os.Symlink("elsewhere/logs", filepath.Join(root, "dangling")); err != nil {
		t.Fatal(err)
	}
	if _, err := openWithin(t, filepath.Join(root, "dangling", "app.log")); err == nil {
		t.Error("Open through a dangling symlinked directory succeeded")
	}
	if _, err := os.Lstat(filepath.Join(root, "elsewhere")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a directory was created through the dangling symlink: %v", err)
	}
}

// TestOpenRefuses: whatever is not a regular file with one link is refused with the right
// sentinel, a message saying what it is, and a *fs.PathError naming the path; what a
// symlink points to is left alone; nothing blocks.
func TestOpenRefuses(t *testing.T) {
	cases := []struct {
		name  string
		plant func(t *testing.T, dir, path string) // makes the thing at path
		want  error
		says  string
	}{
		{"symlink to a file", func(t *testing.T, dir, path string) {
			writeFile(t, filepath.Join(dir, "victim"), "precious\n", 0o600)
			symlink(t, filepath.Join(dir, "victim"), path)
		}, ErrNotRegular, "it is a symbolic link"},
		{"dangling symlink", func(t *testing.T, dir, path string) {
			symlink(t, filepath.Join(dir, "nodir", "victim"), path)
		}, ErrNotRegular, "it is a symbolic link"},
		{"directory", func(t *testing.T, dir, path string) {
			if err := os.Mkdir(path, 0o755); err != nil {
				t.Fatal(err)
			}
		}, ErrNotRegular, "it is a directory"},
		{"FIFO without a reader", func(t *testing.T, dir, path string) {
			mkfifo(t, path)
		}, ErrNotRegular, "it is a FIFO"},
		{"FIFO with a reader", func(t *testing.T, dir, path string) {
			mkfifo(t, path)
			fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { unix.Close(fd) })
		}, ErrNotRegular, "it is a FIFO"},
		{"socket", func(t *testing.T, dir, path string) {
			l, err := net.Listen("unix", path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { l.Close() })
		}, ErrNotRegular, "it is a socket"},
		{"hard link", func(t *testing.T, dir, path string) {
			writeFile(t, filepath.Join(dir, "victim"), "precious\n", 0o600)
			if err := os.Link(filepath.Join(dir, "victim"), path); err != nil {
				t.Fatal(err)
			}
		}, ErrHardLink, "it has 2 links"},
	}
	if os.Geteuid() == 0 {
		cases = append(cases, struct {
			name  string
			plant func(t *testing.T, dir, path string)
			want  error
			says  string
		}{"another user's file", func(t *testing.T, dir, path string) {
			writeFile(t, path, "mine\n", 0o666)
			if err := os.Chown(path, 65534, 65534); err != nil {
				t.Fatal(err)
			}
		}, ErrNotOwner, "it is owned by uid 65534"})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "app.log")
			c.plant(t, dir, path)
			_, err := openWithin(t, path)
			checkRefusal(t, err, path, c.want, c.says)
			victim := filepath.Join(dir, "victim")
			if b, rerr := os.ReadFile(victim); rerr == nil && string(b) != "precious\n" {
				t.Errorf("victim now holds %q", b)
			}
			if _, serr := os.Lstat(filepath.Join(dir, "nodir")); serr == nil {
				t.Error("a directory was created through the symlink")
			}
		})
	}
	t.Run("character device", func(t *testing.T) { // any but the null device
		_, err := openWithin(t, "/dev/zero")
		checkRefusal(t, err, "/dev/zero", ErrNotRegular, "it is a character device")
	})
}

func checkRefusal(t *testing.T, err error, path string, want error, says string) {
	t.Helper()
	var pe *fs.PathError
	switch {
	case err == nil:
		t.Fatalf("Open(%q) succeeded", path)
	case !errors.Is(err, want):
		t.Errorf("error %q is not %q", err, want)
	case !strings.Contains(err.Error(), says):
		t.Errorf("error %q does not say %q", err, says)
	case !errors.As(err, &pe) || pe.Path != path || pe.Op != "open log":
		t.Errorf("error %q is not a *fs.PathError for open log %s", err, path)
	case strings.Count(err.Error(), path) != 1:
		t.Errorf("error %q does not name the path exactly once", err)
	}
}

func symlink(t *testing.T, target, path string) {
	t.Helper()
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
}

func mkfifo(t *testing.T, path string) {
	t.Helper()
	if err := unix.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestOpenDevNull: the null device is the one device Open takes, as a log that keeps
// nothing; any other device is refused.
func TestOpenDevNull(t *testing.T) {
	f, err := Open(os.DevNull)
	if err != nil {
		t.Fatalf("Open(%s): %v", os.DevNull, err)
	}
	defer f.Close()
	if _, err := f.WriteString("a line\n"); err != nil {
		t.Fatal(err)
	}
	if !Discards(os.DevNull) || Discards("/dev/zero") || Discards(t.TempDir()) {
		t.Fatal("Discards: want true for the null device alone")
	}
	if _, err := Open("/dev/zero"); !errors.Is(err, ErrNotRegular) {
		t.Fatalf("Open(/dev/zero) = %v, want ErrNotRegular", err)
	}
}

// TestDescribeOpenErrorStorage: a log that cannot be created because its file system is
// full (of blocks or of inodes) or read-only says so, with the directory and the fix, not
// only "no space left on device"; the errno is still found.
func TestDescribeOpenErrorStorage(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	for _, tc := range []struct {
		errno syscall.Errno
		want  string
	}{
		{syscall.ENOSPC, "no space left on device: the file system of " + dir + " is full, of space or of inodes (df -h and df -i of it say which): free some there, or give --log-dir (or --log) another directory"},
		{syscall.EROFS, "read-only file system: the file system of " + dir + " is mounted read-only: remount it read-write, or give --log-dir (or --log) another directory"},
	} {
		err := describeOpenError(path, tc.errno)
		if err.Error() != tc.want {
			t.Errorf("describeOpenError(%v) = %q; want %q", tc.errno, err, tc.want)
		}
		if !errors.Is(err, tc.errno) {
			t.Errorf("describeOpenError(%v) lost the errno", tc.errno)
		}
	}
}

// TestOpenRemovesWhatItRefused: a log Open created and then could not give its mode (a
// file system that refuses it, or gives one too open) is removed, not left empty for the
// next start to take as a log made by another, without the check; a log that was there
// before is never removed.
func TestOpenRemovesWhatItRefused(t *testing.T) {
	was := fchmod
	t.Cleanup(func() { fchmod = was })
	fchmod = func(int, uint32) error { return syscall.EIO }
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	if f, err := Open(path); err == nil {
		f.Close()
		t.Fatal("Open with its chmod refused = nil, want the error")
	}
	if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the refused log is still there (%v), for the next start to take", err)
	}
	if err := os.WriteFile(path, []byte("kept\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	if f, err := Open(path); err != nil {
		t.Fatalf("Open of a log already there = %v", err)
	} else {
		f.Close()
	}
	if b, _ := os.ReadFile(path); string(b) != "kept\n" {
		t.Errorf("the log already there holds %q", b)
	}
}
