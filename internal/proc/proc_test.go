package proc

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/daemonkit/daemonkit/internal/testutil"
)

func mustRunning(t *testing.T, pid int, want bool) {
	t.Helper()
	got, err := Running(pid)
	if err != nil {
		t.Fatalf("Running(%d): %v", pid, err)
	}
	if got != want {
		t.Fatalf("Running(%d) = %v, want %v", pid, got, want)
	}
}

func TestRunningLiveAndReaped(t *testing.T) {
	cmd := testutil.StartSleep(t)
	pid := cmd.Process.Pid
	mustRunning(t, pid, true)
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	mustRunning(t, pid, false)
}

func TestInvalidPID(t *testing.T) {
	for _, pid := range []int{0, -1} {
		if _, err := Running(pid); err == nil {
			t.Errorf("Running(%d): no error", pid)
		}
		if _, err := Open(pid); err == nil {
			t.Errorf("Open(%d): no error", pid)
		}
	}
}

func TestSignalWaitThenGone(t *testing.T) {
	cmd := testutil.StartSleep(t)
	p, err := Open(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if p.PID() != cmd.Process.Pid {
		t.Fatalf("PID() = %d, want %d", p.PID(), cmd.Process.Pid)
	}
	if err := p.Signal(0); err != nil {
		t.Fatalf("Signal(0) on a live process: %v", err)
	}
	if err := p.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("Signal: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testutil.Deadline)
	defer cancel()
	if err := p.Wait(ctx); err != nil {
		t.Fatalf("Wait after SIGTERM: %v", err)
	}
	if err := p.Signal(syscall.SIGTERM); !errors.Is(err, ErrGone) {
		t.Fatalf("Signal after exit = %v, want ErrGone", err)
	}
	_ = cmd.Wait()
	// Reaped: the pidfd still refers to the dead process, never to a new owner of the pid.
	if err := p.Signal(syscall.SIGTERM); !errors.Is(err, ErrGone) {
		t.Fatalf("Signal after reap = %v, want ErrGone", err)
	}
	if err := p.Wait(ctx); err != nil {
		t.Fatalf("Wait after reap: %v", err)
	}
}

func TestWaitCtxWhileAlive(t *testing.T) {
	cmd := testutil.StartSleep(t)
	p, err := Open(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()

	expired, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	if err := p.Wait(expired); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait(expired ctx) = %v, want DeadlineExceeded", err)
	}

	// Cancelling wakes a Wait that is already blocked.
	ctx, cancelWait := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- p.Wait(ctx) }()
	cancelWait()
	if err := testutil.Receive(t, errc, "Wait to return after its ctx was cancelled"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait(cancelled) = %v, want Canceled", err)
	}
	mustRunning(t, cmd.Process.Pid, true)
}

func TestClosedHandle(t *testing.T) {
	cmd := testutil.StartSleep(t)
	p, err := Open(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := p.Signal(syscall.SIGTERM); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("Signal after Close = %v, want ErrClosed", err)
	}
	if err := p.Wait(context.Background()); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("Wait after Close = %v, want ErrClosed", err)
	}
	mustRunning(t, cmd.Process.Pid, true)
}

// TestNotOurChild waits for a process whose parent is not this one: `sh` starts `sleep` in
// the background and exits, so the sleep is adopted by PID 1 (or a subreaper), which may
// never reap it.
func TestNotOurChild(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	sh := exec.Command("sh", "-c", "sleep 600 & echo $!")
	sh.Stdout = w
	if err := sh.Start(); err != nil {
		w.Close()
		t.Fatal(err)
	}
	w.Close()
	if err := r.SetReadDeadline(time.Now().Add(testutil.Deadline)); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(r).ReadString('\n')
	if err := sh.Wait(); err != nil {
		t.Fatalf("sh: %v", err)
	}
	if err != nil {
		t.Fatalf("read grandchild pid: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatalf("grandchild pid %q: %v", line, err)
	}
	p, err := Open(pid)
	if err != nil {
		t.Fatalf("Open(grandchild): %v", err)
	}
	defer p.Close()
	t.Cleanup(func() { _ = p.Signal(syscall.SIGKILL) }) // through the pidfd: never a reused pid
	mustRunning(t, pid, true)

	if err := p.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("Signal: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testutil.Deadline)
	defer cancel()
	if err := p.Wait(ctx); err != nil {
		t.Fatalf("Wait(not our child): %v", err)
	}
	mustRunning(t, pid, false)
}
