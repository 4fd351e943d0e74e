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
		if done, known := writesTo(os.Getpid(), path); done || !known {
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
