package instance

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestPIDFileOwner: a pidfile given alone is another instance's only while a record beside
// it proves that instance's daemon holds it, as Inspect believes a record.
func TestPIDFileOwner(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "app.pid")
	write := func(name string, rec Record) {
		t.Helper()
		rec.Name, rec.PIDFile = name, pidFile
		if err := WriteRecord(filepath.Join(dir, name+".json"), rec); err != nil {
			t.Fatal(err)
		}
	}
	owner := func(path string) string {
		t.Helper()
		name, ok := PIDFileOwner(path, "app")
		if ok != (name != "") {
			t.Fatalf("PIDFileOwner(%s) = %q, %v", path, name, ok)
		}
		return name
	}

	write("web", Record{PID: 4000, State: StateRunning})
	if got := owner(pidFile); got != "" {
		t.Errorf("nothing holds it: owner %q, want none (a record alone proves nothing)", got)
	}

	d := startDaemon(t, graceful, pidFile, false)
	running := Record{PID: d.pid, StartTime: StartTime(d.pid), BootID: BootID(), State: StateRunning, StartedAt: time.Now()}
	write("web", running)
	if got := owner(pidFile); got != "web" {
		t.Errorf("web's record names it and its holder: owner %q, want web", got)
	}
	link := filepath.Join(t.TempDir(), "run")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	if got := owner(filepath.Join(link, "app.pid")); got != "web" {
		t.Errorf("through a symbolic link to its directory: owner %q, want web", got)
	}

	write("other", running)
	if got := owner(pidFile); got != "" {
		t.Errorf("two records claim it: owner %q, want none", got)
	}
	write("app", running)
	if got := owner(pidFile); got != "app" {
		t.Errorf("the base name's own record proves it: owner %q, want app", got)
	}
	for _, name := range []string{"app", "other"} {
		if err := os.Remove(filepath.Join(dir, name+".json")); err != nil {
			t.Fatal(err)
		}
	}

	reused := running
	reused.State = StateStopped
	write("web", reused)
	if got := owner(pidFile); got != "" {
		t.Errorf("a record marked stopped with the holder's pid (an earlier run's, the pid since reused): owner %q, want none", got)
	}
	reused = running
	reused.StartTime++
	write("web", reused)
	if got := owner(pidFile); got != "" {
		t.Errorf("a record of the holder's pid and another start time: owner %q, want none", got)
	}
}
