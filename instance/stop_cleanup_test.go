package instance

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestCleanUpPidfileNotRemovable: a stop whose daemon is gone but whose stale pidfile
// cannot be removed (its file system made read-only) still marks the record stopped, and
// says why the pidfile stays; it used to give up before the record, and status then
// called a daemon stopped by this very stop "gone without stopping (crashed or killed)".
func TestCleanUpPidfileNotRemovable(t *testing.T) {
	dir := t.TempDir()
	p := Paths{Name: "web", PIDFile: filepath.Join(dir, "web.pid"), Record: filepath.Join(dir, "web.json")}
	gonePID := goneProcess(t)
	if err := os.WriteFile(p.PIDFile, fmt.Appendf(nil, "%d\n", gonePID), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteRecord(p.Record, Record{Name: "web", PID: gonePID, State: StateRunning, Strategy: "reexec", StartedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	rofs := &fs.PathError{Op: "remove", Path: p.PIDFile, Err: syscall.EROFS}
	removeStalePidfile = func(string) (bool, error) { return false, rofs }
	t.Cleanup(func() { removeStalePidfile = defaultRemoveStale })

	removed, err := cleanUp(p, gonePID, "")
	if removed || !errors.Is(err, syscall.EROFS) {
		t.Errorf("cleanUp = %v, %v; want false and the pidfile's error", removed, err)
	}
	rec, err := ReadRecord(p.Record)
	if err != nil {
		t.Fatal(err)
	}
	if rec.State != StateStopped || rec.LastExit == gone {
		t.Errorf("record state %q, last exit %q; want it marked stopped", rec.State, rec.LastExit)
	}
}

// defaultRemoveStale is removeStalePidfile as the package sets it.
var defaultRemoveStale = removeStalePidfile

// goneProcess is the pid of a process that ran and was reaped.
func goneProcess(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}
