package supervisor

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/daemonkit/daemonkit/pidfile"
)

// TestOwnPIDFileNeverOpened: a child pidfile (--child-pidfile) or a program's own
// (--ready pidfile:) that names, through a symlinked directory, the pidfile this process
// (the daemon) holds is refused, and never opened: closing any descriptor of it lets go of
// the daemon's lock, which then ran unseen (status: "not running ... stale"), and a start
// ran a second daemon. Each use is tried: the check before the program starts, the write,
// the removal, and the read of a program's pidfile.
func TestOwnPIDFileNeverOpened(t *testing.T) {
	dir := t.TempDir()
	st := filepath.Join(dir, "st")
	if err := os.Mkdir(st, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("st", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	pf, err := pidfile.Acquire(filepath.Join(st, "a.pid"))
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Release()
	var fst unix.Stat_t
	if err := unix.Stat(pf.Path(), &fst); err != nil {
		t.Fatal(err)
	}
	via := filepath.Join(dir, "link", "a.pid")
	for _, use := range []struct {
		what string
		do   func() bool // whether it refused
	}{
		{"checkChildPIDFile", func() bool { return checkChildPIDFile(via, nil) != nil }},
		{"writePIDFile", func() bool { return writePIDFile(via, 4242, nil) != nil }},
		{"removePIDFile", func() bool { return !removePIDFile(via, os.Getpid(), nil) }},
		{"readForeignPID", func() bool { pid, _ := readForeignPID(via); return pid == 0 }},
	} {
		if !use.do() {
			t.Errorf("%s(%s): not refused, where it names this process's own pidfile", use.what, via)
		}
		if !holdsLockOn(t, fst.Ino) {
			t.Fatalf("after %s(%s), this process holds no lock on its pidfile: the lock was let go", use.what, via)
		}
	}
	if b, err := os.ReadFile(pf.Path()); err != nil || string(b) != strconv.Itoa(os.Getpid())+"\n" {
		t.Errorf("the pidfile holds %q, %v; want this process's pid", b, err)
	}
}

// holdsLockOn reports whether /proc/locks lists a POSIX lock of this process on inode ino.
func holdsLockOn(t *testing.T, ino uint64) bool {
	t.Helper()
	f, err := os.Open("/proc/locks")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pid, suffix := strconv.Itoa(os.Getpid()), ":"+strconv.FormatUint(ino, 10)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fl := strings.Fields(sc.Text())
		if len(fl) >= 6 && fl[1] == "POSIX" && fl[4] == pid && strings.HasSuffix(fl[5], suffix) {
			return true
		}
	}
	return false
}
