package instance

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/daemonkit/daemonkit/internal/testutil"
	"github.com/daemonkit/daemonkit/pidfile"
	"golang.org/x/sys/unix"
)

// The test binary doubles as a stand-in daemon (testutil.Main): $MODE says how it behaves
// and $PIDFILE is the pidfile it holds.

// Modes of the stand-in daemon.
const (
	graceful = "graceful" // on SIGTERM: release the pidfile, exit 0
	stubborn = "stubborn" // SIGTERM is caught and ignored
	lockOnly = "lockonly" // locks the pidfile as it is, writing nothing; stubborn
)

func TestMain(m *testing.M) {
	testutil.Main(m, map[string]func() int{
		"daemon":   func() int { return runDaemon(os.Getenv("MODE"), os.Getenv("PIDFILE")) },
		"freeze":   func() int { return freezeInterrupted(os.Getenv("VICTIM")) },
		"midwrite": func() int { return writeAndHang(os.Getenv("RECORD")) },
		"haltint":  func() int { return stopInterruptedHalted(os.Getenv("STATEDIR"), os.Getenv("NAME"), false) },
		"killint":  func() int { return stopInterruptedHalted(os.Getenv("STATEDIR"), os.Getenv("NAME"), true) },
	})
}

// runDaemon acquires the pidfile at path, prints "ready PID", then prints "usr1" for each
// SIGUSR1, and on SIGTERM releases the pidfile and exits 0 (graceful) or prints "term" and
// carries on (stubborn).
func runDaemon(mode, path string) int {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGUSR1)
	var f *pidfile.File
	var err error
	if mode == lockOnly {
		var held *os.File
		if held, err = lockAsIs(path); err == nil {
			defer held.Close() // held, and locked, until the process ends
		}
	} else {
		f, err = pidfile.Acquire(path)
	}
	if err != nil {
		fmt.Printf("err %v\n", err)
		return 1
	}
	if os.Getenv("OWNGROUP") != "" { // a detached daemon's: a group of its own, and a child leading one
		if err := syscall.Setpgid(0, 0); err != nil {
			fmt.Printf("err %v\n", err)
			return 1
		}
		child := exec.Command("sleep", "600") // never reaped: a zombie once killed, as long as this runs
		child.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := child.Start(); err != nil {
			fmt.Printf("err %v\n", err)
			return 1
		}
	}
	fmt.Printf("ready %d\n", os.Getpid())
	for sig := range sigs {
		switch {
		case sig == syscall.SIGUSR1:
			fmt.Println("usr1")
		case mode == stubborn || mode == lockOnly:
			fmt.Println("term")
		default:
			if err := f.Release(); err != nil {
				fmt.Printf("err %v\n", err)
				return 1
			}
			return 0
		}
	}
	return 0
}

// lockAsIs takes a POSIX write lock on all of the file at path, as a daemon does, and
// leaves its content as it is: a process that holds a pidfile and is no daemon of it.
func lockAsIs(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	lock := unix.Flock_t{Type: unix.F_WRLCK}
	return f, unix.FcntlFlock(f.Fd(), unix.F_SETLK, &lock)
}

// daemon is a running stand-in daemon.
type daemon struct {
	pid    int
	lines  chan string
	cmd    *exec.Cmd     // nil when detached: not this process's child
	handle *proc.Process // opened while it was known to be alive
	reaped bool
}

// startDaemon starts a stand-in daemon holding path, with env besides its own. Detached, it is started through
// `sh -c '... &'`, so that it is not this process's child: its parent exits and it is
// adopted by PID 1, which here never reaps it. It is killed at the end of the test, through
// a handle opened while it was known to be alive, so a reused pid is never hit.
func startDaemon(t testing.TB, mode, path string, detached bool, env ...string) *daemon {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := testutil.Helper(t, "daemon", nil, append([]string{"MODE=" + mode, "PIDFILE=" + path}, env...)...)
	if detached {
		cmd.Args = []string{"sh", "-c", `"$0" &`, cmd.Path}
		cmd.Path = "/bin/sh"
	}
	cmd.Stdout, cmd.Stderr = w, os.Stderr
	err = cmd.Start()
	w.Close()
	if err != nil {
		r.Close()
		t.Fatal(err)
	}
	if detached {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("sh: %v", err)
		}
	}
	d := &daemon{lines: make(chan string, 16)}
	if !detached {
		d.cmd = cmd
		t.Cleanup(func() {
			if !d.reaped {
				_ = cmd.Process.Kill() // os.Process signals through a pidfd
				_ = cmd.Wait()
			}
		})
	}
	go func() {
		defer close(d.lines)
		defer r.Close()
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			d.lines <- sc.Text()
		}
	}()
	line := d.line(t)
	pid, err := strconv.Atoi(strings.TrimPrefix(line, "ready "))
	if err != nil || !strings.HasPrefix(line, "ready ") {
		t.Fatalf("stand-in daemon: got %q, want \"ready PID\"", line)
	}
	d.pid = pid
	h, err := proc.Open(pid)
	if err != nil {
		t.Fatalf("open stand-in daemon %d: %v", pid, err)
	}
	d.handle = h
	t.Cleanup(func() {
		if !d.reaped {
			_ = h.Signal(syscall.SIGKILL)
			_ = h.Close()
		}
	})
	return d
}

// reap waits for a daemon started as this process's child, which must have exited, and
// fails unless it exited 0; a benchmark that starts one per iteration so keeps neither
// zombies nor handles around.
func (d *daemon) reap(t testing.TB) {
	t.Helper()
	if d.cmd == nil {
		t.Fatal("reap: the stand-in daemon is not this process's child")
	}
	err := d.cmd.Wait()
	_ = d.handle.Close()
	d.reaped = true
	if err != nil {
		t.Fatalf("stand-in daemon %d: %v, want a graceful exit 0", d.pid, err)
	}
}

// line returns the daemon's next line of output.
func (d *daemon) line(t testing.TB) string {
	t.Helper()
	select {
	case l, ok := <-d.lines:
		if !ok {
			t.Fatal("stand-in daemon: output ended")
		}
		return l
	case <-time.After(testutil.Deadline):
		t.Fatalf("stand-in daemon: no output within %v", testutil.Deadline)
	}
	return ""
}

// startSleep starts `sleep 600`, an unrelated process, and kills and reaps it at the end of
// the test.
func startSleep(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("sleep", "600")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return cmd.Process.Pid
}

// mustRunning fails the test unless proc.Running(pid) is want.
func mustRunning(t *testing.T, pid int, want bool) {
	t.Helper()
	got, err := proc.Running(pid)
	if err != nil {
		t.Fatalf("Running(%d): %v", pid, err)
	}
	if got != want {
		t.Fatalf("Running(%d) = %v, want %v", pid, got, want)
	}
}

// testPaths resolves the paths of instance name in a fresh state directory.
func testPaths(t *testing.T, name string) Paths {
	t.Helper()
	p, err := Layout{StateDir: t.TempDir()}.Resolve(name, "", "")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// mustAbsent fails the test if path exists.
func mustAbsent(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Fatalf("%s: want it absent, got %v", path, err)
	}
}

// mustState fails the test unless the pidfile of p is in state want.
func mustState(t *testing.T, p Paths, want pidfile.State) pidfile.Status {
	t.Helper()
	st, err := pidfile.Probe(p.PIDFile)
	if err != nil {
		t.Fatalf("probe: %v", err)
	}
	if st.State != want {
		t.Fatalf("pidfile state %v, want %v", st.State, want)
	}
	return st
}

// mustStopped fails the test unless the record at path is kept, marked stopped, with
// lastExit.
func mustStopped(t *testing.T, path, lastExit string) {
	t.Helper()
	r, err := ReadRecord(path)
	if err != nil {
		t.Fatalf("the record of a stopped instance must be kept: %v", err)
	}
	if r.State != StateStopped || r.StoppedAt.IsZero() || r.LastExit != lastExit {
		t.Fatalf("record = %+v, want stopped, last exit %q", r, lastExit)
	}
}

// freezeInterrupted is the "freeze" helper: killFrozen of pid victim, interrupted by a
// SIGINT once the victim is stopped (as Ctrl-C of a stop would come). It returns only if
// the SIGINT did not end it.
func freezeInterrupted(victim string) int {
	pid, err := strconv.Atoi(victim)
	if err != nil {
		return 2
	}
	rounds := 0
	killFrozen(func() map[int]func() bool {
		if rounds++; rounds == 2 { // the victim is stopped by now
			_ = syscall.Kill(os.Getpid(), syscall.SIGINT)
		}
		return map[int]func() bool{pid: func() bool { return true }}
	})
	return 0
}

// stopInterruptedHalted is the "haltint" and "killint" helper: Stop of the stubborn
// daemon of instance name in state directory dir, past its timeout (or at once with
// SIGKILL, if kill), interrupted by a SIGINT once the daemon is stopped (SIGSTOP). It
// returns only if the SIGINT did not end it.
func stopInterruptedHalted(dir, name string, kill bool) int {
	p, err := Layout{StateDir: dir}.Resolve(name, "", "")
	if err != nil {
		fmt.Println(err)
		return 2
	}
	interrupted := false
	interrupt := func() { interrupted = true; _ = syscall.Kill(os.Getpid(), syscall.SIGINT) }
	beforeGroupKills = func(int, []int) { interrupt() }
	killAllStopped = func(int) { interrupt() }
	o := StopOptions{Timeout: 50 * time.Millisecond}
	if kill {
		o.Signal = syscall.SIGKILL
	}
	if _, err := Stop(context.Background(), p, o); err != nil {
		fmt.Println(err)
		return 1
	}
	if !interrupted {
		fmt.Println("the stop never stopped the daemon (SIGSTOP) for its kills: nothing was interrupted")
		return 3
	}
	return 0
}
