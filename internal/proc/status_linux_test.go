package proc

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/daemonkit/daemonkit/internal/testutil"
)

// TestSignalAction: sleep leaves SIGHUP at its default action; a process under nohup
// ignores it; this process, whose Go runtime catches every signal, catches it.
func TestSignalAction(t *testing.T) {
	for _, tc := range []struct {
		argv []string
		want Action
	}{
		{[]string{"/bin/sleep", "1000"}, Default},
		{[]string{"/usr/bin/nohup", "/bin/sleep", "1000"}, Ignored},
	} {
		cmd := exec.Command(tc.argv[0], tc.argv[1:]...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		deadline := time.Now().Add(testutil.Deadline)
		for { // until it runs sleep: nohup sets SIG_IGN, then executes it
			if b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", cmd.Process.Pid)); string(b) == "sleep\n" || time.Now().After(deadline) {
				break
			}
			time.Sleep(time.Millisecond)
		}
		if got, err := SignalAction(cmd.Process.Pid, syscall.SIGHUP); err != nil || got != tc.want {
			t.Errorf("SignalAction(%v, SIGHUP) = %v, %v; want %v", tc.argv, got, err, tc.want)
		}
	}
	if got, err := SignalAction(os.Getpid(), syscall.SIGHUP); err != nil || got != Caught {
		t.Errorf("SignalAction(self, SIGHUP) = %v, %v; want caught", got, err)
	}
}

// TestSignalActionShellBlocksAMoment: a shell blocks every signal for a moment around
// each fork and wait; a loop that runs a command every 2ms does so about a sixth of the
// time. Its SIGUSR1 is at its default action all the same, and sent then it would end it
// once unblocked: SignalAction must never read it as taken.
func TestSignalActionShellBlocksAMoment(t *testing.T) {
	cmd := exec.Command("/bin/sh", "-c", "while :; do sleep 0.002; done")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	for range 100 {
		if got, err := SignalAction(cmd.Process.Pid, syscall.SIGUSR1); err != nil || got != Default {
			t.Fatalf("SignalAction(sh loop, SIGUSR1) = %v, %v; want its default action", got, err)
		}
	}
}

// TestSignalActionUnreadableDescriptors: where a program's descriptors may not be read (a
// root without CAP_SYS_PTRACE, as in a container, and a program of another user), a
// signal it blocks in every thread is neither taken nor at its default action for sure:
// ErrBlockedUnknown says so (sent, it could end a shell). Readable, the same program, with
// no signalfd, leaves it at its default action.
func TestSignalActionUnreadableDescriptors(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("running a program as another user needs root")
	}
	cmd := exec.Command("/bin/sleep", "1000")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	started := make(chan error, 1)
	go func() { // forked from a thread that blocks SIGHUP: sleep starts with it blocked
		runtime.LockOSThread()
		var set unix.Sigset_t
		set.Val[0] = 1 << (syscall.SIGHUP - 1)
		if err := unix.PthreadSigmask(unix.SIG_BLOCK, &set, nil); err != nil {
			started <- err
			return // the thread, locked, ends with the goroutine
		}
		started <- cmd.Start()
	}()
	if err := <-started; err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	pid := cmd.Process.Pid
	testutil.WaitFor(t, "sleep to run with SIGHUP blocked", func() bool {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		blocked, err := SignalMask(StatusPath(pid), "SigBlk")
		return string(b) == "sleep\n" && err == nil && blocked&(1<<(syscall.SIGHUP-1)) != 0
	})
	if got, err := SignalAction(pid, syscall.SIGHUP); err != nil || got != Default {
		t.Errorf("SignalAction, descriptors readable, no signalfd = %v, %v; want its default action", got, err)
	}
	type actionErr struct {
		action Action
		err    error
	}
	var got actionErr
	withoutPtrace(t, func() {
		if _, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/0", pid)); err == nil {
			t.Error("the descriptors are readable without CAP_SYS_PTRACE: the test tests nothing")
		}
		got.action, got.err = SignalAction(pid, syscall.SIGHUP)
	})
	if !errors.Is(got.err, ErrBlockedUnknown) {
		t.Errorf("SignalAction, descriptors unreadable = %v, %v; want ErrBlockedUnknown", got.action, got.err)
	}
}

// withoutPtrace runs f on a thread of its own without CAP_SYS_PTRACE, as root in a
// container runs by default, and returns once it has; the thread ends with it.
func withoutPtrace(t *testing.T, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread() // never unlocked: the thread, changed, ends with the goroutine
		hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
		var data [2]unix.CapUserData
		if err := unix.Capget(&hdr, &data[0]); err != nil {
			t.Error(err)
			return
		}
		data[0].Effective &^= 1 << unix.CAP_SYS_PTRACE
		if err := unix.Capset(&hdr, &data[0]); err != nil {
			t.Error(err)
			return
		}
		f()
	}()
	<-done
}
