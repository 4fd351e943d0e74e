package proc

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/daemonkit/daemonkit/internal/testutil"
)

// TestParseStatExitCode: exit_code (field 52) is read; a line without it reads 0.
func TestParseStatExitCode(t *testing.T) {
	fields := strings.Fields("Z 1 9 9 0 -1 4194560" + strings.Repeat(" 0", 45)) // fields 3 to 52
	fields[52-3] = "768"                                                        // exited with status 3
	st, err := ParseStat([]byte("9 (sh) " + strings.Join(fields, " ")))
	if err != nil || st.ExitCode != 768 {
		t.Fatalf("ParseStat = %+v, %v; want ExitCode 768", st, err)
	}
	st, err = ParseStat([]byte("9 (sh) " + strings.Join(fields[:50-3], " ")))
	if err != nil || st.ExitCode != 0 {
		t.Fatalf("ParseStat(no field 52) = %+v, %v; want ExitCode 0", st, err)
	}
}

// TestZombieExitCode: a zombie's stat gives its wait status, before its parent reaps it.
func TestZombieExitCode(t *testing.T) {
	cmd := exec.Command("/bin/sh", "-c", "exit 3")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Wait() }()
	p, err := Open(cmd.Process.Pid)
	if err == nil { // else a zombie already
		defer p.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := p.Wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
	st, err := ReadStat(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	if ws := syscall.WaitStatus(st.ExitCode); !st.Zombie() || !ws.Exited() || ws.ExitStatus() != 3 {
		t.Fatalf("stat of the zombie: %+v; want a zombie that exited with status 3", st)
	}
}

// TestExitStatusOnceReaped: a handle gives its process's exit status once a parent has
// reaped it, and none while it runs, or after Close.
func TestExitStatusOnceReaped(t *testing.T) {
	if !testutil.LinuxAtLeast(t, 6, 15) {
		t.Skip("the kernel keeps no exit status for a pidfd before Linux 6.15")
	}
	cmd, goOn := startHeld(t, "exit 3", nil)
	h, err := Open(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if ws, ok := h.ExitStatus(); ok {
		t.Errorf("ExitStatus of a running process = %v, true", ws)
	}
	goOn()
	_ = cmd.Wait() // the parent reaps it
	ws, ok := h.ExitStatus()
	if !ok || !ws.Exited() || ws.ExitStatus() != 3 {
		t.Fatalf("ExitStatus once reaped = %#x, %v; want exited with status 3", int(ws), ok)
	}
	_ = h.Close()
	if _, ok := h.ExitStatus(); ok {
		t.Error("ExitStatus after Close said it knew")
	}
}

// TestZombieExitStatusHidden: a zombie's exit code, which the kernel shows as 0 to a reader
// that may not trace it (root without CAP_SYS_PTRACE, as in a container, and a program run
// as another user), is not known there, rather than taken for an exit with status 0.
func TestZombieExitStatusHidden(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("running a program as another user needs root")
	}
	cmd, goOn := startHeld(t, "kill -9 $$", &syscall.Credential{Uid: 65534, Gid: 65534})
	pid := cmd.Process.Pid
	goOn()
	if err := unix.Waitid(unix.P_PID, pid, nil, unix.WEXITED|unix.WNOWAIT, nil); err != nil { // a zombie, not reaped
		t.Fatal(err)
	}
	st, err := ReadStat(pid)
	if err != nil {
		t.Fatal(err)
	}
	if ws, ok := ZombieExitStatus(pid, st.StartTime); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Errorf("ZombieExitStatus, readable = %#x, %v; want killed by SIGKILL", int(ws), ok)
	}
	if _, ok := ZombieExitStatus(pid, st.StartTime+1); ok {
		t.Error("ZombieExitStatus of another start time said it knew")
	}
	withoutPtrace(t, func() {
		if st, err := ReadStat(pid); err != nil || st.ExitCode != 0 {
			t.Errorf("without CAP_SYS_PTRACE, stat's exit code reads %d, %v: the test tests nothing", st.ExitCode, err)
		}
		if ws, ok := ZombieExitStatus(pid, st.StartTime); ok {
			t.Errorf("ZombieExitStatus, hidden = %#x, true; want not known", int(ws))
		}
	})
}

// TestAwaitReaped: a handle on a process that has exited sees it reaped by its parent, and
// not before.
func TestAwaitReaped(t *testing.T) {
	if !testutil.LinuxAtLeast(t, 6, 9) {
		t.Skip("the kernel reports no reap on a pidfd before Linux 6.9")
	}
	cmd, goOn := startHeld(t, "exit 3", nil)
	h, err := Open(cmd.Process.Pid) // it waits for its input: it runs
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	goOn()
	if err := unix.Waitid(unix.P_PID, cmd.Process.Pid, nil, unix.WEXITED|unix.WNOWAIT, nil); err != nil { // a zombie, not reaped
		t.Fatal(err)
	}
	if h.AwaitReaped(time.Millisecond) {
		t.Error("AwaitReaped said a zombie its parent has not reaped was reaped")
	}
	reaped := make(chan struct{})
	go func() { defer close(reaped); _ = cmd.Wait() }()
	if !h.AwaitReaped(time.Minute) {
		t.Error("AwaitReaped did not see the reap")
	}
	<-reaped // before the test's end reaps it again
	if ws, ok := h.ExitStatus(); testutil.LinuxAtLeast(t, 6, 15) && (!ok || ws.ExitStatus() != 3) {
		t.Errorf("ExitStatus once reaped = %#x, %v; want exited with status 3", int(ws), ok)
	}
	_ = h.Close()
	if h.AwaitReaped(time.Minute) {
		t.Error("AwaitReaped after Close said reaped")
	}
}

// startHeld starts sh -c "read x; SCRIPT" (as cred's user, if set), which runs until
// goOn closes its input. The test's end reaps it, whatever fails, so that no child of
// the test is left for the next (TestChildless).
func startHeld(t *testing.T, script string, cred *syscall.Credential) (cmd *exec.Cmd, goOn func()) {
	t.Helper()
	cmd = exec.Command("/bin/sh", "-c", "read x; "+script)
	if cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = in.Close(); _ = cmd.Wait() }) // a second Wait returns at once
	return cmd, func() { _ = in.Close() }
}
