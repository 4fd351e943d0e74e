//go:build linux

package strategytest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/daemonkit/daemonkit/launcher"
	"github.com/daemonkit/daemonkit/strategy"
	"github.com/hashicorp/go-hclog"
	"golang.org/x/sys/unix"
)

// Descriptors of the launching helper, after 0-2 (the terminal).
const (
	leakFD   = 3 // a file the test leaks to it without close-on-exec
	resultFD = 4 // it writes its LaunchReport here
	holdFD   = 5 // it exits when this reaches EOF
)

// LaunchReport is what the launching helper says about itself and its Launch.
type LaunchReport struct {
	Result       launcher.Result
	Err          string    // Launch's error, if any
	PID          int       // the helper's pid
	Stat         proc.Stat // the helper's /proc/self/stat before Launch
	SigIgn       uint64    // the helper's ignored signals before Launch
	LeakOpen     bool      // the leaked descriptor was open and inheritable before Launch
	LeakCloexec  bool      // it was close-on-exec after Launch
	CallerCwd    string    // the helper's working directory
	LaunchLogTxt string    // what Launch logged (debug), for failure messages
	HUPHandled   bool      // after Launch, a SIGHUP to itself reached its own signal.Notify channel
}

// runLauncher is the launching helper: `_launch STRATEGY SPEC_JSON`. It runs Launch once,
// writes a LaunchReport to descriptor 4, and exits when descriptor 5 reaches EOF.
func runLauncher(args []string) int {
	if len(args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: _launch STRATEGY SPEC_JSON")
		return 2
	}
	var spec strategy.Spec
	if err := json.Unmarshal([]byte(args[1]), &spec); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	out := os.NewFile(resultFD, "result")
	hold := os.NewFile(holdFD, "hold")
	// Whatever this process inherited, SIGHUP is not ignored from here on (a Notify installs
	// a handler, which a child gets back as the default), so that the daemon's SigIgn shows
	// what the strategy did and nothing else.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	rep := LaunchReport{PID: os.Getpid()}
	rep.Stat, _ = proc.ReadStat(os.Getpid())
	rep.SigIgn, _ = proc.SignalMask(proc.StatusPath(0), "SigIgn")
	rep.CallerCwd, _ = os.Getwd()
	flags, err := unix.FcntlInt(leakFD, unix.F_GETFD, 0)
	rep.LeakOpen = err == nil && flags&unix.FD_CLOEXEC == 0

	var logBuf bytes.Buffer
	log := hclog.New(&hclog.LoggerOptions{Name: "launch", Level: hclog.Debug, Output: &logBuf})
	if d, err := strategy.Lookup(args[0]); err != nil {
		rep.Err = err.Error()
	} else if rep.Result, err = launcher.Launch(context.Background(), d.New(), spec, log); err != nil {
		rep.Err = err.Error()
	}
	rep.LaunchLogTxt = logBuf.String()
	// A long-lived caller keeps its own SIGHUP handling across a launch: this process
	// would die of this signal if Launch had taken its handler away.
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err == nil {
		select {
		case <-hup:
			rep.HUPHandled = true
		case <-time.After(time.Minute):
		}
	}
	flags, err = unix.FcntlInt(leakFD, unix.F_GETFD, 0)
	rep.LeakCloexec = err == nil && flags&unix.FD_CLOEXEC != 0

	if err := json.NewEncoder(out).Encode(rep); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	out.Close()
	_, _ = io.Copy(io.Discard, hold)
	return 0
}

// Launched is a Launch run by a separate launching process that has a controlling terminal
// (a pty) and a leaked descriptor, and that stays alive until Exit.
type Launched struct {
	LaunchReport
	Leak string // the file the launcher leaked as its descriptor 3

	cmd      *exec.Cmd
	ptmx     *os.File
	holdW    *os.File
	exitOnce sync.Once
	exitErr  error
}

// LaunchFromTerminal starts the launching helper in a new session whose controlling
// terminal is a fresh pty, in working directory cwd, with a file leaked to it as
// descriptor 3 without close-on-exec, and has it Launch spec with the strategy name. It
// returns once Launch returned; the helper stays alive until Exit, which a cleanup calls.
func LaunchFromTerminal(t testing.TB, name, cwd string, spec strategy.Spec) *Launched {
	t.Helper()
	specJSON, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	leak, err := os.Create(filepath.Join(t.TempDir(), "leaked-descriptor"))
	if err != nil {
		t.Fatal(err)
	}
	defer leak.Close()
	resultR, resultW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer resultR.Close()
	holdR, holdW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self, LaunchCommand, name, string(specJSON))
	cmd.Dir = cwd
	cmd.Env = Environ()
	cmd.ExtraFiles = []*os.File{leak, resultW, holdR} // descriptors 3, 4, 5
	ptmx, err := pty.Start(cmd)
	resultW.Close()
	holdR.Close()
	if err != nil {
		holdW.Close()
		t.Fatalf("start launching helper: %v", err)
	}
	l := &Launched{Leak: leak.Name(), cmd: cmd, ptmx: ptmx, holdW: holdW}
	t.Cleanup(func() {
		if err := l.Exit(); err != nil {
			t.Errorf("launching helper: %v", err)
		}
	})
	go func() { _, _ = io.Copy(io.Discard, ptmx) }() // the terminal's output; nothing expected

	_ = resultR.SetReadDeadline(time.Now().Add(2 * time.Minute))
	if err := json.NewDecoder(resultR).Decode(&l.LaunchReport); err != nil {
		t.Fatalf("read the launching helper's report: %v", err)
	}
	return l
}

// Exit makes the launching helper exit, reaps it and closes its terminal. It returns the
// helper's exit error, if any; calling it again does nothing.
func (l *Launched) Exit() error {
	l.exitOnce.Do(func() {
		l.holdW.Close()
		done := make(chan error, 1)
		go func() { done <- l.cmd.Wait() }()
		select {
		case l.exitErr = <-done:
		case <-time.After(time.Minute):
			_ = l.cmd.Process.Kill() // still our unreaped child: the pid is its own
			l.exitErr = fmt.Errorf("did not exit; killed it: %v", <-done)
		}
		l.ptmx.Close()
	})
	return l.exitErr
}
