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

	"github.com/daemonkit/daemonkit/internal/testutil"
	"golang.org/x/sys/unix"
)

// The test binary doubles as a helper process (testutil.Main): "acquire" and "umask" run
// runHelper, the modes in helperModes run themselves; $PIDFILE is the path, $ARG the
// argument, and $GATE says runHelper waits at its gate.

// helperModes holds the helper modes other test files define, by name: each gets the path
// and the argument, and returns the exit code.
var helperModes = map[string]func(path, arg string) int{}

// waitLimit bounds every wait in these tests; reaching it is a failure, not a timing.
const waitLimit = testutil.Deadline

func TestMain(m *testing.M) {
	helpers := map[string]func() int{}
	for _, mode := range []string{"acquire", "umask"} {
		helpers[mode] = func() int { return runHelper(mode, os.Getenv("PIDFILE"), os.Getenv("GATE") != "") }
	}
	for mode, run := range helperModes {
		helpers[mode] = func() int { return run(os.Getenv("PIDFILE"), os.Getenv("ARG")) }
	}
	testutil.Main(m, helpers)
}

// runHelper acquires path and reports on stdout, one line each:
//
//	ok PID | locked PID MESSAGE | err MESSAGE
//
// then, if it holds the file, obeys stdin lines: "release" (answers "released" or
// "err MESSAGE"), "probe" (answers "probe STATE PID FILEPID"), "check" (answers "check ok",
// "check replaced MESSAGE" or "check err MESSAGE") and "restore" (answers "restored",
// "restore locked PID", "restore notpidfile MESSAGE" or "restore err MESSAGE"). It exits at
// EOF on stdin. With
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
		case "check":
			switch err := f.Check(); {
			case err == nil:
				fmt.Println("check ok")
			case errors.Is(err, ErrReplaced):
				fmt.Printf("check replaced %s\n", err)
			default:
				fmt.Printf("check err %s\n", err)
			}
		case "restore":
			var le *LockedError
			switch err := f.Restore(); {
			case err == nil:
				fmt.Println("restored")
			case errors.As(err, &le):
				fmt.Printf("restore locked %d\n", le.PID)
			case errors.Is(err, ErrNotPidfile):
				fmt.Printf("restore notpidfile %s\n", err)
			default:
				fmt.Printf("restore err %s\n", err)
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
	h, err := spawnHelper(t, mode, path, "", gate, nil)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// spawnHelper starts a helper process in mode for path with arg, letting configure change
// the command first (if not nil), and returns an error only if the process could not be
// started. It is killed by its pid and reaped at the end of the test.
func spawnHelper(t *testing.T, mode, path, arg string, gate *os.File, configure func(*exec.Cmd)) (*helper, error) {
	t.Helper()
	cmd := testutil.Helper(t, mode, nil, "PIDFILE="+path, "ARG="+arg)
	if gate != nil {
		cmd.Env = append(cmd.Env, "GATE=1")
		cmd.ExtraFiles = []*os.File{gate}
	}
	if configure != nil {
		configure(cmd)
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
		return nil, err
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
	return h, nil
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

// expect waits for the helper's next line and fails the test unless it is want.
func (h *helper) expect(t *testing.T, want string) {
	t.Helper()
	if l := h.line(t); l != want {
		t.Fatalf("helper %d: got %q, want %q", h.pid(), l, want)
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
