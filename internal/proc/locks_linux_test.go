package proc

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/daemonkit/daemonkit/internal/testutil"
	"golang.org/x/sys/unix"
)

// TestDeletedLockHolder: a process that holds the lock of a file deleted since, as a
// daemon whose pidfile went with its directory holds it, is found by the path the file
// had; not while the file is still there, nor by another path.
func TestDeletedLockHolder(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "st", "a.pid")
	if err := os.Mkdir(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	mustLockFile(t, path, unix.Flock_t{}, ownPID)
	if got := DeletedLockHolder(path); got != 0 {
		t.Errorf("with the file there: %d, want 0", got)
	}
	if err := os.RemoveAll(filepath.Dir(path)); err != nil {
		t.Fatal(err)
	}
	if got := DeletedLockHolder(path); got != os.Getpid() {
		t.Errorf("once deleted with its directory: %d, want this process, %d", got, os.Getpid())
	}
	if got := DeletedLockHolder(filepath.Join(dir, "st", "b.pid")); got != 0 {
		t.Errorf("another path: %d, want 0", got)
	}
}

// TestDeletedLockHolderNotByName: a file whose own name ends in " (deleted)", there and
// locked, is not the deleted file that was at the path without it, though its descriptor's
// link reads the same: stop would signal another instance's daemon, or another user's
// process to root.
func TestDeletedLockHolderNotByName(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.pid")
	mustLockFile(t, path+" (deleted)", unix.Flock_t{}, ownPID)
	if got := DeletedLockHolder(path); got != 0 {
		t.Errorf("a file named %q, there: %d, want 0", path+" (deleted)", got)
	}
}

// TestDeletedLockHolderReadsEachHolderOnce: a process that holds many locks (of many files,
// as a database or a mail server holds them) has its descriptors read once, not once a
// lock: else a start or status of an instance without a record took seconds.
func TestDeletedLockHolderReadsEachHolderOnce(t *testing.T) {
	dir := t.TempDir()
	for i := range 50 {
		mustLockFile(t, filepath.Join(dir, strconv.Itoa(i)), unix.Flock_t{}, "")
	}
	reads := 0
	testHookReadFDs = func(pid int) {
		if pid == os.Getpid() {
			reads++
		}
	}
	defer func() { testHookReadFDs = nil }()
	DeletedLockHolder(filepath.Join(t.TempDir(), "a.pid"))
	if reads != 1 {
		t.Errorf("this process's descriptors read %d times for its 50 locks, want once", reads)
	}
}

// TestDeletedLockHolderNotACleaner: a lock on part of the file is no daemon's, whose lock
// covers the whole file: a cleaner (pidfile.RemoveStale, in another stop or start) holds
// one on byte 1 of a stale pidfile while it unlinks it, and a stop at that moment took that
// command for the daemon and signalled it.
func TestDeletedLockHolderNotACleaner(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.pid")
	mustLockFile(t, path, unix.Flock_t{Start: 1, Len: 1}, ownPID)
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if got := DeletedLockHolder(path); got != 0 {
		t.Errorf("a lock on byte 1 of the deleted file: %d, want 0", got)
	}
}

// TestDeletedLockHolderNamedByContent: the deleted file must name its lock holder, as a
// daemon's pidfile does: one that holds nothing yet, or another pid, or more, is some other
// lock file of that path's (or a daemon's of another pid namespace), and stop would signal
// on a guess.
func TestDeletedLockHolderNamedByContent(t *testing.T) {
	self := strconv.Itoa(os.Getpid())
	for content, want := range map[string]int{
		self + "\n":       os.Getpid(),
		self:              os.Getpid(),
		"":                0,
		"1\n":             0,
		self + "0\n":      0,
		self + "\n\n":     0,
		" " + self + "\n": 0,
	} {
		path := filepath.Join(t.TempDir(), "a.pid")
		f := mustLockFile(t, path, unix.Flock_t{}, content)
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
		if got := DeletedLockHolder(path); got != want {
			t.Errorf("deleted, holding %q: %d, want %d", content, got, want)
		}
		f.Close()
	}
}

func init() { helpers["lockdeletedhere"] = lockDeletedHere }

// lockDeletedHere, a helper, locks $DIR/st/a.pid, writes its pid into it, deletes st,
// says "ready", and holds the lock until its stdin ends: a daemon whose state directory went.
func lockDeletedHere() int {
	path := filepath.Join(os.Getenv("DIR"), "st", "a.pid")
	f, err := lockFile(path, unix.Flock_t{}, ownPID)
	if err == nil {
		defer f.Close() // held until the helper returns
		err = os.RemoveAll(filepath.Dir(path))
	}
	if err != nil {
		fmt.Println(err)
		return 1
	}
	fmt.Println("ready")
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
	return 0
}

// TestHoldsDeletedLock: the holder DeletedLockHolder finds is proven again from its own
// descriptors, without a read of /proc/locks (an RCU grace period each: 4-35 ms); not
// another process, nor by another path, nor once it is gone.
func TestHoldsDeletedLock(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "st", "a.pid")
	if err := os.Mkdir(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	pid, line, end, err := runLockHolder(t, testutil.Helper(t, "lockdeletedhere", nil, "DIR="+dir))
	if err != nil || line != "ready" {
		t.Fatalf("helper: %q, %v", line, err)
	}
	reads := 0
	testHookReadLocks = func() { reads++ }
	defer func() { testHookReadLocks = nil }()
	if !HoldsDeletedLock(pid, path) {
		t.Error("its holder: false, want true")
	}
	if HoldsDeletedLock(os.Getpid(), path) {
		t.Error("another process: true, want false")
	}
	if HoldsDeletedLock(pid, filepath.Join(dir, "st", "b.pid")) {
		t.Error("another path: true, want false")
	}
	if reads != 0 {
		t.Errorf("/proc/locks read %d times, want none", reads)
	}
	end()
	if HoldsDeletedLock(pid, path) {
		t.Error("once its holder has exited: true, want false")
	}
}

// TestDeletedLockHolderKeepsOwnLock: a lookup made by the lock holder itself (a daemon that
// looks for its own instance) leaves it holding its lock: reading the file's content
// through a second descriptor, closed after, would have let go of every POSIX lock the
// process holds on it.
func TestDeletedLockHolderKeepsOwnLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.pid")
	mustLockFile(t, path, unix.Flock_t{}, ownPID)
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if got := DeletedLockHolder(path); got != os.Getpid() {
		t.Fatalf("DeletedLockHolder = %d, want this process, %d", got, os.Getpid())
	}
	if holds, ok := HoldsPOSIXLock(os.Getpid()); !ok || !holds {
		t.Errorf("after the lookup, this process holds a POSIX lock: %v (ok %v); want it still held", holds, ok)
	}
}

// lockFile creates path, takes a POSIX write lock on the byte range of lock (the whole file
// where Start and Len are 0), and writes content into it: a pidfile as a daemon holds it.
func lockFile(path string, lock unix.Flock_t, content string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	lock.Type, lock.Whence = unix.F_WRLCK, 0
	if err := unix.FcntlFlock(f.Fd(), unix.F_SETLK, &lock); err != nil {
		f.Close()
		return nil, err
	}
	if _, err := f.WriteString(content); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// mustLockFile is lockFile for a test, which closes the file at its end.
func mustLockFile(t *testing.T, path string, lock unix.Flock_t, content string) *os.File {
	t.Helper()
	f, err := lockFile(path, lock, content)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// ownPID is this process's pid as a daemon writes it into its pidfile.
var ownPID = strconv.Itoa(os.Getpid()) + "\n"

// runLockHolder starts helper, a process that takes a lock and says how it went in its
// first line, and returns its pid, that line, and end, which ends it (its stdin closed,
// it exits) and waits for it; it is killed by its pid at the test's end in any case.
func runLockHolder(t *testing.T, helper *exec.Cmd) (pid int, line string, end func(), err error) {
	t.Helper()
	in, err := helper.StdinPipe()
	if err != nil {
		return 0, "", nil, err
	}
	out, err := helper.StdoutPipe()
	if err != nil {
		return 0, "", nil, err
	}
	if err := helper.Start(); err != nil {
		return 0, "", nil, err
	}
	pid = helper.Process.Pid
	var once sync.Once
	end = func() {
		once.Do(func() {
			_ = in.Close()
			_ = helper.Wait()
		})
	}
	t.Cleanup(func() {
		_ = syscall.Kill(pid, syscall.SIGKILL)
		end()
	})
	line, _ = bufio.NewReader(out).ReadString('\n')
	return pid, strings.TrimSpace(line), end, nil
}
