package proc

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestHasEnvMidExec: a process that does nothing but exec itself again is caught in the
// middle of an exec by about a tenth of the reads of its environment, which are empty
// then; HasEnv must still find its variable every time, or a run's leftover that happens
// to be exec'ing would escape stop. An environment that is empty for good is answered
// without the wait.
func TestHasEnvMidExec(t *testing.T) {
	script := filepath.Join(t.TempDir(), "again.sh")
	if err := os.WriteFile(script, []byte("exec /bin/sh "+script+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	again := exec.Command("/bin/sh", script)
	again.Env = []string{"MARK=mid-exec"}
	if err := again.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = again.Process.Kill(); _ = again.Wait() })
	for i := range 3000 {
		if !HasEnv(again.Process.Pid, "MARK=mid-exec") {
			t.Fatalf("check %d: HasEnv = false for a process that carries the variable and keeps exec'ing", i)
		}
	}

	empty := exec.Command("/bin/sleep", "1000")
	empty.Env = []string{}
	if err := empty.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = empty.Process.Kill(); _ = empty.Wait() })
	for i := range 100 {
		if HasEnv(empty.Process.Pid, "MARK=mid-exec") {
			t.Fatalf("check %d: HasEnv = true for a process with an empty environment", i)
		}
	}
	if HasEnv(2, "MARK=mid-exec") { // kthreadd, where PID 2 is a kernel thread
		t.Fatal("HasEnv = true for pid 2")
	}
}

// TestParseStatFlagsAndEnvEnd: the flags (field 9), env_start and env_end (fields 50, 51) are read; a line
// of a kernel before 3.5, without them, reads 0.
func TestParseStatFlagsAndEnvEnd(t *testing.T) {
	short := "7 (k) S 2 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0"
	st, err := ParseStat([]byte(short))
	if err != nil || !st.KernelThread() || st.EnvEnd != 0 {
		t.Fatalf("ParseStat(short) = %+v, %v; want a kernel thread, EnvEnd 0", st, err)
	}
	fields := strings.Fields("S 1 9 9 0 -1 4194560" + strings.Repeat(" 0", 45)) // fields 3 to 52
	fields[50-3] = "333"                                                        // env_start
	fields[51-3] = "444"                                                        // env_end
	st, err = ParseStat([]byte("9 (sh) " + strings.Join(fields, " ")))
	if err != nil || st.KernelThread() || st.EnvStart != 333 || st.EnvEnd != 444 {
		t.Fatalf("ParseStat(long) = %+v, %v; want no kernel thread, EnvStart 333, EnvEnd 444", st, err)
	}
}

// TestGetenv: the value of a variable of another process, and no value for one it lacks.
func TestGetenv(t *testing.T) {
	cmd := exec.Command("/bin/sleep", "1000")
	cmd.Env = []string{"A=1", "GEN=2", "GENERATION=3"}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	if v, ok := Getenv(cmd.Process.Pid, "GEN"); !ok || v != "2" {
		t.Errorf("Getenv(GEN) = %q, %v; want 2", v, ok)
	}
	if v, ok := Getenv(cmd.Process.Pid, "NONE"); ok {
		t.Errorf("Getenv(NONE) = %q, true; want none", v)
	}
}

// TestHoldsPOSIXLock: this process, once it holds an fcntl lock, is listed; a child that
// holds none is not.
func TestHoldsPOSIXLock(t *testing.T) {
	child := exec.Command("/bin/sleep", "1000")
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = child.Process.Kill(); _ = child.Wait() })
	if holds, ok := HoldsPOSIXLock(child.Process.Pid); !ok || holds {
		t.Fatalf("HoldsPOSIXLock(a sleep) = %v, %v; want false, true", holds, ok)
	}
	f, err := os.Create(filepath.Join(t.TempDir(), "lock"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lk := unix.Flock_t{Type: unix.F_WRLCK, Whence: 0}
	if err := unix.FcntlFlock(f.Fd(), unix.F_SETLK, &lk); err != nil {
		t.Fatal(err)
	}
	if holds, ok := HoldsPOSIXLock(os.Getpid()); !ok || !holds {
		t.Fatalf("HoldsPOSIXLock(self, holding a lock) = %v, %v; want true, true", holds, ok)
	}
}

// TestHasEnvReadOutlastsExecWait: a read of an environment that itself outlasted execWait
// (its open waited for an exec's lock, then a loaded machine did not run the reader) and
// found nothing, of a process whose environment is laid out by then, is followed by
// another read: the process is not taken for one without the variable. The read is
// stalled past execWait through readEnviron, and returns nothing, as a read mid-exec does.
func TestHasEnvReadOutlastsExecWait(t *testing.T) {
	self, err := os.ReadFile("/proc/self/environ")
	if err != nil || len(self) == 0 {
		t.Skipf("no environment of this process to read: %v", err)
	}
	entry, _, _ := bytes.Cut(self, []byte{0})
	reads := 0
	readEnviron = func(name string) ([]byte, error) {
		reads++
		if reads == 1 {
			time.Sleep(execWait + 10*time.Millisecond) // the stall: past execWait, whatever the load
			return nil, nil                            // caught mid-exec: nothing to read yet
		}
		return os.ReadFile(name)
	}
	t.Cleanup(func() { readEnviron = os.ReadFile })
	if !HasEnv(os.Getpid(), string(entry)) {
		t.Fatalf("HasEnv(self, %q) = false after a read that outlasted execWait (%d reads), want true", entry, reads)
	}
}
