package cli

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/daemonkit/daemonkit/instance"
)

// TestReloadWaitSeesStartEndAfterReady: a start that ends between reload's look at the
// instance (its daemon holds the pidfile, and has written no ready record yet) and its look
// at the start lock is seen as it is: its daemon is ready. The lock was looked at after the
// instance: a start gone with a ready daemon looked like a daemon no start waits for any
// more, and one older than the wait's bound (reload_starting's, on a loaded machine) was
// refused as starting ("reload it once it is ready"), though it was ready by then.
func TestReloadWaitSeesStartEndAfterReady(t *testing.T) {
	state := t.TempDir()
	paths := instance.Paths{Name: "web", PIDFile: filepath.Join(state, "web.pid"), Record: filepath.Join(state, "web.json"), Log: filepath.Join(state, "web.log")}
	starter := holdLock(t, paths.StartLock()) // its start, under way
	daemon := holdLock(t, paths.PIDFile)      // its daemon, which wrote its pid and no record: not ready
	st, err := instance.Inspect(paths)
	if err != nil || !st.Starting || st.PID() != daemon.Process.Pid {
		t.Fatalf("Inspect: %+v, %v; want pid %d starting", st, err, daemon.Process.Pid)
	}
	var once sync.Once
	testHookInspected = func() {
		once.Do(func() { // the daemon is ready, and its start ends, after this look
			rec := instance.Record{Name: "web", PID: daemon.Process.Pid, StartTime: instance.StartTime(daemon.Process.Pid), State: instance.StateRunning}
			if err := instance.WriteRecord(paths.Record, rec); err != nil {
				t.Error(err)
			}
			_ = starter.Process.Kill() // its lock goes with it
			_ = starter.Wait()
		})
	}
	t.Cleanup(func() { testHookInspected = nil })
	var stdout, stderr bytes.Buffer
	app := &App{Config: Config{Name: "daemonkit", Stderr: &stderr}.withDefaults(), Globals: &Globals{StateDir: state}, Stdout: &stdout}
	var waits waitInterrupt
	defer waits.release()
	w, err := awaitReady(&waits, app, paths, st, nil)
	if err != nil || w.inspectErr != nil {
		t.Fatalf("awaitReady: %v, %v", err, w.inspectErr)
	}
	if w.st.Starting || w.st.Record == nil || !w.waited {
		t.Errorf("awaitReady ended with %+v (waited %v): want the daemon seen ready", w.st, w.waited)
	}
}

// holdLock starts a process that holds path's lock, with its pid written (lockPIDFile),
// and returns once it holds it; it is killed when the test ends.
func holdLock(t *testing.T, path string) *exec.Cmd {
	t.Helper()
	c := exec.Command(os.Args[0])
	c.Env = append(os.Environ(), "CLI_TEST_LOCK_PIDFILE="+path)
	out, err := c.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Process.Kill(); _ = c.Wait() })
	if _, err := out.Read(make([]byte, 1)); err != nil {
		t.Fatalf("%v: %v", c.Args, err)
	}
	return c
}
