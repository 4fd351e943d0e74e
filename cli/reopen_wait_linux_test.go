package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
