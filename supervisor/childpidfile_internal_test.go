package supervisor

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/internal/testutil"
	"github.com/daemonkit/daemonkit/pidfile"
)

// TestRemoveChildPIDFileLeavesAFIFO: a FIFO put in the child pidfile's place (by the
// user who owns its directory) is left there, and the supervisor does not block on it:
// its read used to hold the stop until SIGKILL. The file it wrote, unchanged, is removed.
func TestRemoveChildPIDFileLeavesAFIFO(t *testing.T) {
	path := filepath.Join(t.TempDir(), "child.pid")
	r := &run{s: New(Config{ChildPIDFile: path}, io.Discard), log: hclog.NewNullLogger()}
	r.writeChildPIDFile(4242)
	if r.childPID != 4242 {
		t.Fatalf("the child pidfile was not written")
	}
	r.removeChildPIDFile(false)
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Fatalf("the child pidfile it wrote: %v; want it removed", err)
	}
	r.childPID = 4242
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		r.removeChildPIDFile(false)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		if f, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close() // lets the blocked read go
		}
		<-done
		t.Fatal("removeChildPIDFile blocked on a FIFO in the child pidfile's place")
	}
	if fi, err := os.Lstat(path); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the FIFO: %v, %v; want it left", fi, err)
	}
}

// TestChildPIDFileRefusesAnotherUsersFile: root's supervisor neither writes a child
// pidfile that another user owns (who may have put it there for root to write through),
// nor removes one that another user owns when it ends, though it holds the pid written:
// both are left as they are, as daemonkit's own pidfile's are. The start refuses it first.
func TestChildPIDFileRefusesAnotherUsersFile(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give a file to another user")
	}
	path := filepath.Join(t.TempDir(), "child.pid")
	if err := os.WriteFile(path, []byte("123\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(path, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if err := checkChildPIDFile(path, nil); !errors.Is(err, pidfile.ErrNotOwner) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "uid 65534") {
		t.Errorf("checkChildPIDFile: %v; want ErrNotOwner, naming the path and the owner", err)
	}
	r := &run{s: New(Config{ChildPIDFile: path}, io.Discard), log: hclog.NewNullLogger()}
	r.writeChildPIDFile(4242)
	if b, err := os.ReadFile(path); err != nil || string(b) != "123\n" || r.childPID != 0 {
		t.Errorf("another user's child pidfile: %q, %v (pid written: %d); want it left as it was", b, err, r.childPID)
	}

	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	r.writeChildPIDFile(4242)
	if r.childPID != 4242 {
		t.Fatal("the child pidfile was not written")
	}
	if err := os.Chown(path, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	r.removeChildPIDFile(false)
	if _, err := os.Lstat(path); err != nil {
		t.Errorf("a child pidfile another user owns now: %v; want it left", err)
	}
}

// TestChildPIDFileRefusesAnUnsafeDirectory: the child pidfile's directory is checked as
// the instance's own are: one that other users may write, unless it is sticky, is
// refused, and nothing is made there; a sticky one (/tmp) is fine.
func TestChildPIDFileRefusesAnUnsafeDirectory(t *testing.T) {
	base := t.TempDir()
	open, sticky := filepath.Join(base, "open"), filepath.Join(base, "sticky")
	for d, mode := range map[string]os.FileMode{open: 0o777, sticky: 0o777 | os.ModeSticky} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(d, mode); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(open, "child.pid")
	if err := checkChildPIDFile(path, nil); !errors.Is(err, instance.ErrUnsafeDir) || !strings.Contains(err.Error(), path) {
		t.Errorf("checkChildPIDFile: %v; want ErrUnsafeDir, naming the path", err)
	}
	r := &run{s: New(Config{ChildPIDFile: path}, io.Discard), log: hclog.NewNullLogger()}
	r.writeChildPIDFile(4242)
	if _, err := os.Lstat(path); !os.IsNotExist(err) || r.childPID != 0 {
		t.Errorf("a child pidfile in a directory all may write: %v (pid written: %d); want none made", err, r.childPID)
	}

	path = filepath.Join(sticky, "child.pid")
	if err := checkChildPIDFile(path, nil); err != nil {
		t.Errorf("checkChildPIDFile in a sticky directory: %v", err)
	}
	r = &run{s: New(Config{ChildPIDFile: path}, io.Discard), log: hclog.NewNullLogger()}
	r.writeChildPIDFile(4242)
	if b, err := os.ReadFile(path); err != nil || string(b) != "4242\n" {
		t.Errorf("a child pidfile in a sticky directory: %q, %v; want 4242", b, err)
	}
	r.removeChildPIDFile(false)
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Errorf("the child pidfile it wrote: %v; want it removed", err)
	}
}

// TestChildPIDFileRefusesAnotherUsersDirectory: root writes no child pidfile in another
// user's directory, who could swap what is in it at any time.
func TestChildPIDFileRefusesAnotherUsersDirectory(t *testing.T) {
	dir := nobodysDir(t, "theirs")
	path := filepath.Join(dir, "child.pid")
	if err := checkChildPIDFile(path, nil); !errors.Is(err, instance.ErrUnsafeDir) || !strings.Contains(err.Error(), "uid 65534") {
		t.Errorf("checkChildPIDFile: %v; want ErrUnsafeDir, naming the owner", err)
	}
	r := &run{s: New(Config{ChildPIDFile: path}, io.Discard), log: hclog.NewNullLogger()}
	r.writeChildPIDFile(4242)
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Errorf("a child pidfile in another user's directory: %v; want none made", err)
	}
}

// TestChildPIDFileNotInTheUsersOwnDirectory: not even the --user's own directory (a
// service user's /run/www) takes the child pidfile, unlike a socket: that user could put
// a file of theirs in its place, naming any pid. The error says what to use. A missing
// directory is made only in a parent that passes the check, held open.
func TestChildPIDFileNotInTheUsersOwnDirectory(t *testing.T) {
	dir := nobodysDir(t, "www")
	www := &syscall.Credential{Uid: 65534, Gid: 65534}
	err := checkChildPIDFile(filepath.Join(dir, "child.pid"), www)
	if !errors.Is(err, instance.ErrUnsafeDir) || !strings.Contains(err.Error(), "not even the --user's own") {
		t.Errorf("checkChildPIDFile in the --user's own directory: %v; want ErrUnsafeDir saying why", err)
	}

	gone := filepath.Join(t.TempDir(), "run", "app", "child.pid")
	if err := checkChildPIDFile(gone, nil); err == nil || !strings.Contains(err.Error(), "is missing: make it") {
		t.Errorf("checkChildPIDFile with two directories missing: %v; want an error saying to make them", err)
	}
	if _, err := os.Lstat(filepath.Dir(gone)); !os.IsNotExist(err) {
		t.Errorf("the missing directory: %v; want it left missing", err)
	}
	// one missing in a checked parent (a /run/NAME a reboot emptied) is made, 0755
	if err := os.Mkdir(filepath.Dir(filepath.Dir(gone)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := checkChildPIDFile(gone, nil); err != nil {
		t.Errorf("checkChildPIDFile with its directory missing in a checked parent: %v; want it made", err)
	}
	if fi, err := os.Stat(filepath.Dir(gone)); err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o755 {
		t.Errorf("the directory made: %v, %v; want a directory, 0755", fi, err)
	}
}

// nobodysDir makes a directory name, 0755, that nobody (uid 65534) owns, in a directory of
// root's; the test is skipped unless it runs as root.
func nobodysDir(t *testing.T, name string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to give a directory to another user")
	}
	dir := filepath.Join(t.TempDir(), name)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestStopWhileChildPIDFileWriteStuck: a stop goes on at once while the child pidfile's
// write is stuck (its disk frozen) as a restarted copy gets ready: the supervisor's
// goroutine is not held, so its program gets the stop signal then, not SIGKILL at the
// bound. The removal at the run's end waits for the write, and removes what it wrote.
func TestStopWhileChildPIDFileWriteStuck(t *testing.T) {
	began, thaw := make(chan struct{}, 1), make(chan struct{})
	t.Cleanup(func() { writeChildPID = writePIDFile })
	writeChildPID = func(path string, pid int, user *syscall.Credential) error {
		began <- struct{}{}
		<-thaw
		return writePIDFile(path, pid, user)
	}
	path := filepath.Join(t.TempDir(), "child.pid")
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	r := &run{s: New(Config{ChildPIDFile: path}, io.Discard), log: hclog.NewNullLogger(), ctx: ctx}
	written := make(chan struct{})
	go func() {
		defer close(written)
		r.writeChildPIDFile(4242)
	}()
	<-began
	stop()
	select {
	case <-written:
	case <-time.After(testutil.Deadline):
		close(thaw)
		t.Fatal("the stop waited for the child pidfile's stuck write")
	}
	close(thaw)
	r.removeChildPIDFile(true)
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Errorf("the child pidfile after the run's end: %v; want it removed", err)
	}
}
