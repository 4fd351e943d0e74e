package proc

import (
	"os/exec"
	"runtime"
	"syscall"
	"testing"
)

// TestTracedIsNotStopped: a process held by its tracer (ptrace: strace -p, gdb) reads as
// traced, with its tracer's pid, not as stopped by a signal, which SIGCONT would end; one
// stopped by SIGSTOP reads as stopped, not traced.
func TestTracedIsNotStopped(t *testing.T) {
	cmd := exec.Command("sleep", "1000")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()

	runtime.LockOSThread() // ptrace requests come from the thread that attached
	defer runtime.UnlockOSThread()
	if err := syscall.PtraceAttach(pid); err != nil {
		t.Skipf("cannot trace here: %v", err)
	}
	var ws syscall.WaitStatus
	if _, err := syscall.Wait4(pid, &ws, 0, nil); err != nil || !ws.Stopped() {
		t.Fatalf("wait for the attach stop: %v, %v", ws, err)
	}
	st, err := ReadStat(pid)
	if err != nil {
		t.Fatal(err)
	}
	if st.Stopped() || !st.Traced() {
		t.Errorf("traced: state %q: Stopped() = %v, Traced() = %v; want false, true", st.State, st.Stopped(), st.Traced())
	}
	if got := TracerPID(pid); got != syscall.Gettid() { // the thread that attached
		t.Errorf("TracerPID(%d) = %d, want %d (this test's thread)", pid, got, syscall.Gettid())
	}
	if err := syscall.PtraceDetach(pid); err != nil {
		t.Fatal(err)
	}

	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	if _, err := syscall.Wait4(pid, &ws, syscall.WUNTRACED, nil); err != nil || !ws.Stopped() {
		t.Fatalf("wait for SIGSTOP's stop: %v, %v", ws, err)
	}
	if st, err = ReadStat(pid); err != nil {
		t.Fatal(err)
	}
	if !st.Stopped() || st.Traced() {
		t.Errorf("SIGSTOP: state %q: Stopped() = %v, Traced() = %v; want true, false", st.State, st.Stopped(), st.Traced())
	}
	if got := TracerPID(pid); got != 0 {
		t.Errorf("TracerPID(%d) = %d once detached, want 0", pid, got)
	}
}
