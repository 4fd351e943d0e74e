package cli

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/daemonkit/daemonkit/internal/testutil"
)

// TestWritesToPathNotThere: a log's path that is not there (moved away), or that cannot
// be reached (a file where its directory was), is not the file the daemon writes to yet,
// which reopen waits for and then warns of; it is not a path it cannot tell about, which
// would end the wait at once, without a word.
func TestWritesToPathNotThere(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{filepath.Join(dir, "gone.log"), filepath.Join(file, "x.log")} {
		if done, known := writesTo(os.Getpid(), 0, path); done || !known {
			t.Errorf("writesTo(%s) = %v, %v; want false, true: not the daemon's file yet", path, done, known)
		}
	}
}

// TestAwaitReopenedInterrupted: an interrupt (reopen's context ended) ends the wait for
// the daemon to write to its log's path at once, as interrupted, not after its bound as
// late (which would be a warning and exit 0), nor as done.
func TestAwaitReopenedInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	path := filepath.Join(t.TempDir(), "gone.log") // never this process's stdout or stderr
	if got := awaitReopened(ctx, os.Getpid(), 0, 0, path, time.Minute, func() string { return "" }); got != reopenInterrupted {
		t.Errorf("awaitReopened, interrupted: %v; want reopenInterrupted (%v)", got, reopenInterrupted)
	}
}

// TestLateReopenNamesThisProgram: the warning of a reopen not done in time sends the user
// to the status command of this program and instance (an embedding program's, with its
// --name and --state-dir), not to "daemonkit status NAME".
func TestLateReopenNamesThisProgram(t *testing.T) {
	const status = "ticker status --state-dir /srv/state --name web"
	got := lateReopen("web", os.Getpid(), "/srv/log/web.log", status)
	if !strings.Contains(got, "('"+status+"' says why)") || strings.Contains(got, "daemonkit") {
		t.Errorf("lateReopen: %s", got)
	}
}

// TestOwnLogFD: the daemon's own descriptor of its log is looked at by the number its
// record gives, and only that one: another descriptor of the same file is not it, and a
// daemon with none (0) has none, whatever it holds open.
func TestOwnLogFD(t *testing.T) {
	path := filepath.Join(t.TempDir(), "web.log")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	at, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	fd := int(f.Fd())
	if found, known := ownLogFD(os.Getpid(), fd, at); !found || !known {
		t.Errorf("ownLogFD(its descriptor %d) = %v, %v; want true, true", fd, found, known)
	}
	for _, other := range []int{0, 2, fd + 1000} {
		if found, known := ownLogFD(os.Getpid(), other, at); found || !known {
			t.Errorf("ownLogFD(%d, with the file open at %d) = %v, %v; want false, true", other, fd, found, known)
		}
	}
}

// TestWritesToOwnLogFDLast: a daemon whose 1 and 2 name the new log, its own descriptor
// still the old one (a reopen between its last two dup3s), does not write to the new log
// yet: its own descriptor, which the reopen moves last, is what its lines go through. One
// with no descriptor of its own (an older build's) writes where 1 and 2 do.
func TestWritesToOwnLogFDLast(t *testing.T) {
	dir := t.TempDir()
	open := func(name string) *os.File {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	moved, now := open("web.log.1"), open("web.log")
	daemon := exec.Command("/bin/sleep", "1000")
	daemon.Stdout, daemon.Stderr, daemon.ExtraFiles = now, now, []*os.File{moved} // its own: 3
	if err := daemon.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = daemon.Process.Kill(); _ = daemon.Wait() })
	pid, path := daemon.Process.Pid, now.Name()
	if done, known := writesTo(pid, 3, path); done || !known {
		t.Errorf("writesTo(its own descriptor still the moved file) = %v, %v; want false, true", done, known)
	}
	if done, known := writesTo(pid, 0, path); !done || !known {
		t.Errorf("writesTo(no descriptor of its own, 1 and 2 the log) = %v, %v; want true, true", done, known)
	}
}

// TestAwaitReopenedDaemonEnded: a daemon that ends after it was asked (a stop or a
// restart meanwhile) ends the wait at once, as gone, not after the bound as late, whose
// warning says it still writes to the file it had: a zombie, and a pid whose process
// started at another time than the daemon asked.
func TestAwaitReopenedDaemonEnded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gone.log") // never written: only the daemon's end ends the wait
	cmd := exec.Command("true")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Wait() }()
	testutil.WaitFor(t, "the child a zombie", func() bool {
		st, err := proc.ReadStat(cmd.Process.Pid)
		return err == nil && st.Zombie()
	})
	self, err := proc.ReadStat(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		what      string
		pid       int
		startTime uint64
	}{
		{"a zombie", cmd.Process.Pid, 0},
		{"another process under its pid", os.Getpid(), self.StartTime + 1},
	} {
		got := awaitReopened(context.Background(), tc.pid, tc.startTime, 0, path, 2*time.Second, func() string { return "" })
		if got != reopenGone {
			t.Errorf("awaitReopened, %s: %v; want reopenGone (%v)", tc.what, got, reopenGone)
		}
	}
}
