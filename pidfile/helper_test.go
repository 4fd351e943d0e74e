package pidfile

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The test binary doubles as a helper process: with helperEnv set, TestMain runs
// runHelper instead of the tests.
const (
	helperEnv     = "PIDFILE_TEST_HELPER"
	helperPathEnv = "PIDFILE_TEST_PATH"
	helperGateEnv = "PIDFILE_TEST_GATE"
)

// waitLimit bounds every wait in these tests; reaching it is a failure, not a timing.
const waitLimit = 60 * time.Second

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(runHelper(mode, os.Getenv(helperPathEnv), os.Getenv(helperGateEnv) != ""))
	}
	os.Exit(m.Run())
}

// runHelper acquires path and reports on stdout, one line each:
//
//	ok PID | locked PID MESSAGE | err MESSAGE
//
// then, if it holds the file, obeys stdin lines: "release" (answers "released" or
// "err MESSAGE"), "probe" (answers "probe STATE PID FILEPID"). It exits at EOF on stdin. With
// gate, it first prints "ready" and waits for EOF on descriptor 3. Mode "umask" sets the
// umask to 077 first.
func runHelper(mode, path string, gate bool) int {
	if mode == "umask" {
		unix.Umask(0o077)
	}
	if gate {
		fmt.Println("ready")
		g := os.NewFile(3, "gate")
		var b [1]byte
		_, _ = g.Read(b[:]) // returns at EOF, when the test closes the write end
	}
	f, err := Acquire(path)
	var le *LockedError
	switch {
	case err == nil:
		fmt.Printf("ok %d\n", f.PID())
	case errors.Is(err, ErrLocked) && errors.As(err, &le):
		fmt.Printf("locked %d %s\n", le.PID, err)
		return 0
	default:
		fmt.Printf("err %s\n", strings.ReplaceAll(err.Error(), "\n", " "))
		return 1
	}
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		switch sc.Text() {
		case "release":
			if err := f.Release(); err != nil {
				fmt.Printf("err %s\n", err)
			} else {
				fmt.Println("released")
			}
		case "probe":
			s, err := Probe(path)
			if err != nil {
				fmt.Printf("err %s\n", err)
			} else {
				fmt.Printf("probe %s %d %d\n", s.State, s.PID, s.FilePID)
			}
		}
	}
	return 0
}

// helper is a running helper process.
type helper struct {
	cmd   *exec.Cmd
	stdin *os.File
	lines chan string
	once  sync.Once
}

// startHelper starts a helper process for path. If gate is not nil it is passed as
// descriptor 3 and the helper waits for EOF on it before acquiring. It is killed and
// reaped at the end of the test.
func startHelper(t *testing.T, mode, path string, gate *os.File) *helper {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+mode, helperPathEnv+"="+path)
	if gate != nil {
		cmd.Env = append(cmd.Env, helperGateEnv+"=1")
		cmd.ExtraFiles = []*os.File{gate}
	}
	inR, inW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, os.Stderr
	err = cmd.Start()
	inR.Close()
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		t.Fatal(err)
	}
	h := &helper{cmd: cmd, stdin: inW, lines: make(chan string, 16)}
	t.Cleanup(h.kill)
	go func() {
		defer close(h.lines)
		defer outR.Close()
		sc := bufio.NewScanner(outR)
		for sc.Scan() {
			h.lines <- sc.Text()
		}
	}()
	return h
}

// pid is the helper's pid.
func (h *helper) pid() int { return h.cmd.Process.Pid }

// kill kills the helper by its pid and reaps it; calling it again does nothing.
func (h *helper) kill() {
	h.once.Do(func() {
		_ = h.cmd.Process.Kill()
		_ = h.cmd.Wait()
		h.stdin.Close()
	})
}

// line returns the helper's next line of output.
func (h *helper) line(t *testing.T) string {
	t.Helper()
	select {
	case l, ok := <-h.lines:
		if !ok {
			t.Fatalf("helper %d: output ended", h.pid())
		}
		return l
	case <-time.After(waitLimit):
		t.Fatalf("helper %d: no output within %v", h.pid(), waitLimit)
	}
	return ""
}

// send writes a command line to the helper.
func (h *helper) send(t *testing.T, cmd string) {
	t.Helper()
	if _, err := fmt.Fprintln(h.stdin, cmd); err != nil {
		t.Fatalf("helper %d: %v", h.pid(), err)
	}
}

// expectOK waits for the helper to report that it holds the file.
func (h *helper) expectOK(t *testing.T) {
	t.Helper()
	if l := h.line(t); l != fmt.Sprintf("ok %d", h.pid()) {
		t.Fatalf("helper %d: got %q, want it to hold the file", h.pid(), l)
	}
}

// expectLockedBy waits for the helper to report that pid holds path.
func (h *helper) expectLockedBy(t *testing.T, path string, pid int) {
	t.Helper()
	want := fmt.Sprintf("locked %d pidfile %q is locked by pid %d", pid, path, pid)
	if l := h.line(t); l != want {
		t.Fatalf("helper %d: got %q, want %q", h.pid(), l, want)
	}
}

// mustProbe probes path and fails the test on error.
func mustProbe(t *testing.T, path string) Status {
	t.Helper()
	s, err := Probe(path)
	if err != nil {
		t.Fatalf("Probe(%q): %v", path, err)
	}
	return s
}

// releaseAtEnd releases f at the end of the test, even when it fails.
func releaseAtEnd(t *testing.T, f *File) {
	t.Cleanup(func() { _ = f.Release() })
}
