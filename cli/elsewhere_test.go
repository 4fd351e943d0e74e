package cli

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/daemonkit/daemonkit/pidfile"
)

// TestRunningIn: the note names an instance whose pidfile in root's state directory a
// daemon holds, its pid and what to run; none for one that is absent, or stale.
func TestRunningIn(t *testing.T) {
	dir := t.TempDir()
	if note := runningIn(dir, "web", "daemonkit status"); note != "" {
		t.Fatalf("runningIn(absent) = %q, want none", note)
	}
	if err := os.WriteFile(filepath.Join(dir, "old.pid"), []byte("4242\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if note := runningIn(dir, "old", "daemonkit status"); note != "" {
		t.Fatalf("runningIn(stale) = %q, want none", note)
	}
	f, err := pidfile.Acquire(filepath.Join(dir, "web.pid"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Release()
	note := runningIn(dir, "web", adviceJoin(append([]string{"daemonkit", "status"}, nameArgs("web")...)))
	for _, want := range []string{"an instance named web runs as root", "pid " + strconv.Itoa(os.Getpid()), "'sudo daemonkit status --name web'"} {
		if !strings.Contains(note, want) {
			t.Errorf("runningIn(held) = %q, want it to say %q", note, want)
		}
	}
	// a name an older release made with a leading dash: --name=NAME, one word, reaches it
	g, err := pidfile.Acquire(filepath.Join(dir, "-x.pid"))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Release()
	if note := runningIn(dir, "-x", adviceJoin(append([]string{"daemonkit", "status"}, nameArgs("-x")...))); !strings.Contains(note, "'sudo daemonkit status --name=-x'") {
		t.Errorf("runningIn(held, -x) = %q, want it to say 'sudo daemonkit status --name=-x'", note)
	}
}
