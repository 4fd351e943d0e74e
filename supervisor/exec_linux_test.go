package supervisor

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/daemonkit/daemonkit/internal/testutil"
)

func init() {
	helpers["exec-parent"] = execParent
	helpers["exec-step"] = execStepOffMain
}

// execParent stands in for a supervisor: it starts the exec step as the supervisor does,
// with the parent-death signal, prints its pid, and waits.
func execParent() int {
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	cmd := exec.Command(exe)
	cmd.Env = testutil.Environ("DAEMONKIT_TEST_HELPER=exec-step")
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{}
	dieWithSupervisor(cmd.SysProcAttr)
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println(cmd.Process.Pid)
	_ = cmd.Wait() // until killed with the step
	return 0
}

// execStepOffMain runs the exec step of `sleep 1000` on a thread other than the first,
// which it holds: the one case where the step's own thread has no parent-death signal
// unless Exec gives it one.
func execStepOffMain() int {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	code := make(chan int)
	for {
		onMain := make(chan bool)
		go func() {
			runtime.LockOSThread() // never unlocked: the first thread stays held
			if unix.Gettid() == unix.Getpid() {
				onMain <- true
				select {}
			}
			onMain <- false
			code <- Exec([]string{sleep, "sleep", "1000"})
		}()
		if !<-onMain {
			return <-code
		}
	}
}

// TestExecKeepsDeathSignal: the program run through the exec step (the path of --socket)
// dies with a supervisor killed with SIGKILL, even when the step ran on another thread
// than its first, which alone had the parent-death signal the supervisor asked for.
func TestExecKeepsDeathSignal(t *testing.T) {
	parent := testutil.Helper(t, "exec-parent", nil)
	parent.Stderr = os.Stderr
	out, err := parent.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := parent.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = parent.Process.Kill(); _ = parent.Wait() }()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("read the exec step's pid: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatalf("exec step's pid %q: %v", line, err)
	}
	step, err := proc.Open(pid)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = step.Signal(syscall.SIGKILL); _ = step.Close() }()
	testutil.WaitFor(t, "the exec step to run sleep", func() bool {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		return err == nil && strings.HasPrefix(string(b), "sleep\x00")
	})

	_ = parent.Process.Kill()
	_ = parent.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), testutil.Deadline)
	defer cancel()
	if err := step.Wait(ctx); err != nil {
		t.Fatalf("the program outlived its supervisor: %v", err)
	}
}
