package logfile

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// waitLimit bounds every wait in these tests; reaching it is a failure, not a timing.
const waitLimit = 30 * time.Second

// helperArg, as the first argument, makes the test binary a helper process (runHelper)
// instead of running tests. childArg, as a positional argument after the test flags, tells
// a test that runSelf started it in a child process.
const (
	helperArg = "logfile-test-helper"
	childArg  = "logfile-test-child"
)

func TestMain(m *testing.M) {
	if len(os.Args) > 2 && os.Args[1] == helperArg {
		os.Exit(runHelper(os.Args[2], os.Args[3:]))
	}
	os.Exit(m.Run())
}

// runHelper runs the helper named mode. It reports on descriptor 3, one line at a time,
// and reads commands on stdin; its stdout and stderr are what the test made them.
func runHelper(mode string, args []string) int {
	report := os.NewFile(3, "report")
	say := func(format string, a ...any) { fmt.Fprintf(report, format+"\n", a...) }
	switch mode {
	case "redirect", "redirect-closed":
		return helperRedirect(say, args[0], mode == "redirect-closed")
	}
	say("unknown helper %q", mode)
	return 2
}

// helperRedirect writes "before" to descriptors 1 and 2, says "ready", waits for a line on
// stdin, then calls Redirect(path, 1, 2) (with closed, after closing descriptor 1) and says
// "ok" or "err notregular=BOOL MESSAGE", then "cloexec FD1 FD2" (the close-on-exec flag of
// each), "leak BOOL" (whether the call left a descriptor open), writes "after 1" to
// descriptor 1 and "after 2" to descriptor 2, and says "done".
func helperRedirect(say func(string, ...any), path string, closed bool) int {
	unix.Write(1, []byte("before\n"))
	unix.Write(2, []byte("before\n"))
	say("ready")
	bufio.NewReader(os.Stdin).ReadString('\n')
	free := lowestFree()
	if closed {
		unix.Close(1)
	}
	if err := Redirect(path, 1, 2); err != nil {
		say("err notregular=%t %s", errors.Is(err, ErrNotRegular), err)
	} else {
		say("ok")
	}
	f1, _ := unix.FcntlInt(1, unix.F_GETFD, 0)
	f2, _ := unix.FcntlInt(2, unix.F_GETFD, 0)
	say("cloexec %d %d", f1&unix.FD_CLOEXEC, f2&unix.FD_CLOEXEC)
	say("leak %t", lowestFree() != free)
	unix.Write(1, []byte("after 1\n"))
	unix.Write(2, []byte("after 2\n"))
	say("done")
	return 0
}

// lowestFree returns the lowest descriptor number not in use.
func lowestFree() int {
	fd, err := unix.Dup(0)
	if err != nil {
		return -1
	}
	unix.Close(fd)
	return fd
}

// helper is a running helper process.
type helper struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string
}

// startHelper starts the helper mode with args, its stdout and stderr on out. It is killed
// by pid and reaped at the end of the test, whatever happens.
func startHelper(t *testing.T, out *os.File, mode string, args ...string) *helper {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	repR, repW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, append([]string{helperArg, mode}, args...)...)
	cmd.Stdout, cmd.Stderr, cmd.ExtraFiles = out, out, []*os.File{repW}
	cmd.Env = childEnv()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	err = cmd.Start()
	repW.Close()
	if err != nil {
		repR.Close()
		t.Fatal(err)
	}
	h := &helper{cmd: cmd, stdin: stdin, lines: make(chan string, 16)}
	go func() {
		defer close(h.lines)
		defer repR.Close()
		sc := bufio.NewScanner(repR)
		for sc.Scan() {
			h.lines <- sc.Text()
		}
	}()
	t.Cleanup(func() {
		stdin.Close()
		cmd.Process.Kill() // by pid; harmless if it has exited
		cmd.Wait()
	})
	return h
}

// next returns the helper's next report line, failing the test at EOF or after waitLimit.
func (h *helper) next(t *testing.T) string {
	t.Helper()
	select {
	case l, ok := <-h.lines:
		if !ok {
			t.Fatalf("helper %d: no more reports", h.cmd.Process.Pid)
		}
		return l
	case <-time.After(waitLimit):
		t.Fatalf("helper %d: no report after %v", h.cmd.Process.Pid, waitLimit)
	}
	return ""
}

// expect fails the test unless the helper's next report line is want.
func (h *helper) expect(t *testing.T, want string) {
	t.Helper()
	if got := h.next(t); got != want {
		t.Fatalf("helper said %q, want %q", got, want)
	}
}

// runSelf runs the calling test again, alone, in a child process of the test binary with
// attr, and reports whether the caller is that child: the child runs the test's body, the
// parent returns false after checking the child's verdict (failing or skipping as it did).
// The child is killed by pid after waitLimit.
func runSelf(t *testing.T, attr *syscall.SysProcAttr) bool {
	t.Helper()
	if slices.Contains(flag.Args(), childArg) {
		return true
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, "-test.run=^"+t.Name()+"$", "-test.v", "-test.count=1", childArg)
	cmd.SysProcAttr = attr
	cmd.Env = childEnv()
	out, err := cmd.CombinedOutput()
	switch {
	case cmd.Process == nil:
		t.Skipf("cannot start the child process: %v", err)
	case err != nil:
		t.Fatalf("child process: %v\n%s", err, out)
	case bytes.Contains(out, []byte("--- SKIP")):
		t.Skipf("child process skipped:\n%s", out)
	case !bytes.Contains(out, []byte("--- PASS")):
		t.Fatalf("child process did not run the test:\n%s", out)
	}
	t.Logf("child process:\n%s", out)
	return false
}

// childEnv is the environment of the processes these tests start: the test's own, with the
// race detector's one-second pause at exit turned off.
func childEnv() []string {
	return append(os.Environ(), "GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
}

// syncBuf is a buffer safe for concurrent use that can be waited on.
type syncBuf struct {
	mu      sync.Mutex
	b       bytes.Buffer
	changed chan struct{} // closed and replaced at each write
}

func newSyncBuf() *syncBuf { return &syncBuf{changed: make(chan struct{})} }

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	close(s.changed)
	s.changed = make(chan struct{})
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor waits until the buffer contains sub, for at most waitLimit.
func (s *syncBuf) waitFor(sub string) error {
	deadline := time.NewTimer(waitLimit)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		ok, ch := strings.Contains(s.b.String(), sub), s.changed
		s.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ch:
		case <-deadline.C:
			return fmt.Errorf("output has no %q after %v:\n%s", sub, waitLimit, s.String())
		}
	}
}

// readFile returns path's content, failing the test if it cannot.
func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// writeFile creates path with content, failing the test if it cannot.
func writeFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

// openFD opens path with Open and returns it as a bare descriptor above 2, as a daemon's
// log descriptor is, closed at the test's end.
func openFD(t *testing.T, path string) int {
	t.Helper()
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	fd, err := unix.FcntlInt(f.Fd(), unix.F_DUPFD_CLOEXEC, 3)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return fd
}
