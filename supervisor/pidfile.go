package supervisor

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// writePIDFile writes pid and a newline to path, 0644, never through a symlink and never
// over a file that is not empty or pidfile-shaped (digits and a newline): a child pidfile
// is informative, for tools that want the program's pid, and unlocked.
func writePIDFile(path string, pid int) error {
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_CREAT|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0o644)
	if err != nil {
		return &fs.PathError{Op: "open child pidfile", Path: path, Err: err}
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("child pidfile %q: not a regular file", path)
	}
	old := make([]byte, 33)
	n, err := unix.Pread(fd, old, 0)
	if err != nil {
		return &fs.PathError{Op: "read child pidfile", Path: path, Err: err}
	}
	if !pidShaped(old[:n]) {
		return fmt.Errorf("child pidfile %q holds %q, which is not a pidfile: refusing to overwrite it", path, old[:min(n, 28)])
	}
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err = f.WriteAt([]byte(strconv.Itoa(pid)+"\n"), 0)
	return err
}

// holdsPID reports whether path is a regular file, not a symlink, that holds pid and a
// newline. It never blocks: a FIFO at path is not opened for reading.
func holdsPID(path string, pid int) bool {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return false
	}
	want := strconv.Itoa(pid) + "\n"
	b := make([]byte, len(want)+1)
	n, _ := io.ReadFull(f, b)
	return string(b[:n]) == want
}

// pidShaped reports whether b is empty, or digits and at most one newline, 32 bytes at most.
func pidShaped(b []byte) bool {
	if len(b) > 32 {
		return false
	}
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
		if len(b) == 0 {
			return false
		}
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
