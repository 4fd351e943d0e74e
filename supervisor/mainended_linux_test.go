package supervisor

import (
	"bufio"
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/daemonkit/daemonkit/internal/testutil"
	"github.com/daemonkit/daemonkit/notify"
	"github.com/daemonkit/daemonkit/server"
)

// servingCopy is a run whose copy serves, its first process standing for a wrapper that
// ends of its stop signal (ws 0): no process has its pid, and the stop signal sent to it
// ends it. Its named main processes are real (sleepers, children of the test).
func servingCopy(t *testing.T) (*run, *program, context.CancelCauseFunc, *testutil.Buffer, chan syscall.WaitStatus) {
	t.Helper()
	old := killPID
	t.Cleanup(func() { killPID = old })
	exited := make(chan syscall.WaitStatus, 1)
	p := &program{pid: 1<<22 + 1, exited: exited, started: time.Now(), mainGone: make(chan mainEnd, 1)} // above PID_MAX_LIMIT
	var once sync.Once
	killPID = func(pid int, sig syscall.Signal) error {
		if pid == p.pid && sig == syscall.SIGTERM {
			once.Do(func() { exited <- 0 })
		}
		return nil
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	t.Cleanup(func() { cancel(nil) })
	log := &testutil.Buffer{}
	r := &run{s: New(Config{ShutdownTimeout: time.Minute, StopSignal: syscall.SIGTERM, ReloadSignal: syscall.SIGHUP}, io.Discard),
		ctx: ctx, log: hclog.New(&hclog.LoggerOptions{Output: log}), copies: map[int]*program{}}
	r.copies[p.pid] = p
	r.makeMain(p)
	return r, p, cancel, log, exited
}

// name has the copy p name pid its main process (MAINPID=), and fails t unless it is taken.
func name(t *testing.T, r *run, p *program, pid int) {
	t.Helper()
	r.note(p, notify.Message{PID: pid, MainPID: pid})
	if got := r.s.mainPID(); got != pid {
		t.Fatalf("main pid %d after MAINPID=%d, want it taken", got, pid)
	}
}

// The named main process of the copy that serves ends while the copy's first process runs
// on: the copy has ended, with that process's status (read from its zombie), its first
// process asked to stop, and the log says so in one line naming both.
func TestNamedMainEndEndsTheCopy(t *testing.T) {
	r, p, _, log, _ := servingCopy(t)
	named := testutil.StartSleep(t)
	name(t, r, p, named.Process.Pid)
	_ = named.Process.Signal(syscall.SIGUSR1) // not reaped: its zombie holds its status
	_, ws, stopped := r.wait(p)
	if stopped || !ws.Signaled() || ws.Signal() != syscall.SIGUSR1 {
		t.Fatalf("wait = %s, stopped %v; want the named main's own end (killed by SIGUSR1)", describe(ws), stopped)
	}
	want := "main process " + strconv.Itoa(named.Process.Pid) + " (named by MAINPID=) killed by signal 10 (SIGUSR1)"
	if p.failure != want {
		t.Errorf("its last exit %q, want %q", p.failure, want)
	}
	line := "stopping the rest of the copy: mainpid=" + strconv.Itoa(named.Process.Pid) + " pid=" + strconv.Itoa(p.pid) + ` status="killed by signal 10 (SIGUSR1)"`
	if !strings.Contains(log.String(), line) {
		t.Errorf("the log does not say %q:\n%s", line, log)
	}
}

// A copy that names another main process (nginx's binary upgrade names its new master)
// goes on when the one it named before ends, even when that end was handed on before the
// new name was taken: only the end of the one it names now ends it.
func TestNamedMainMovedOldOneEnds(t *testing.T) {
	r, p, _, _, _ := servingCopy(t)
	oldMain, newMain := testutil.StartSleep(t), testutil.StartSleep(t)
	name(t, r, p, oldMain.Process.Pid)
	oldH := r.s.namedMain()
	name(t, r, p, newMain.Process.Pid)
	_ = oldMain.Process.Kill()
	p.mainGone <- mainEnd{h: oldH, ws: syscall.WaitStatus(syscall.SIGKILL), known: true} // handed on before the move
	_ = newMain.Process.Signal(syscall.SIGUSR2)
	_, ws, stopped := r.wait(p)
	if stopped || !ws.Signaled() || ws.Signal() != syscall.SIGUSR2 {
		t.Fatalf("wait = %s, stopped %v; want the new main's end (SIGUSR2), not the old one's", describe(ws), stopped)
	}
	if !strings.Contains(p.failure, "main process "+strconv.Itoa(newMain.Process.Pid)+" ") {
		t.Errorf("its last exit %q, want the new main's", p.failure)
	}
}

// The named main process and the copy's first process end at the same moment, both found
// by the loop (select picks either at random): the copy's end is counted once, as its
// first process's, and nothing is asked to stop.
func TestNamedMainEndsWithItsFirstProcess(t *testing.T) {
	for i := range 20 {
		r, p, _, log, exited := servingCopy(t)
		named := testutil.StartSleep(t)
		name(t, r, p, named.Process.Pid)
		exited <- syscall.WaitStatus(7 << 8) // the wrapper exits 7 with it
		p.mainGone <- mainEnd{h: r.s.namedMain(), ws: syscall.WaitStatus(syscall.SIGKILL), known: true}
		_, ws, stopped := r.wait(p)
		if stopped || ws.ExitStatus() != 7 || p.failure != "" {
			t.Fatalf("try %d: wait = %s, stopped %v, last exit %q; want the first process's end (status 7), counted once", i, describe(ws), stopped, p.failure)
		}
		if strings.Contains(log.String(), "stopping the rest") {
			t.Fatalf("try %d: the copy was stopped again:\n%s", i, log)
		}
	}
}

// A stop comes as the named main process ends, both found by the loop (select picks
// either at random): the stop wins, as a stop (stopAll), and no end of the copy is
// counted, so no restart begins mid-stop.
func TestNamedMainEndsAsTheStopComes(t *testing.T) {
	for i := range 20 {
		r, p, cancel, log, _ := servingCopy(t)
		named := testutil.StartSleep(t)
		name(t, r, p, named.Process.Pid)
		cancel(server.Stopped{Signal: syscall.SIGTERM})
		p.mainGone <- mainEnd{h: r.s.namedMain(), ws: syscall.WaitStatus(syscall.SIGKILL), known: true}
		if _, _, stopped := r.wait(p); !stopped {
			t.Fatalf("try %d: the copy's end was counted, not the stop:\n%s", i, log)
		}
		if strings.Contains(log.String(), "stopping the rest") {
			t.Fatalf("try %d: the copy was ended for its main process mid-stop:\n%s", i, log)
		}
	}
}

// A named main process that this subreaper reaps (an orphan it adopted) has its status
// kept by the reaper, once /proc no longer lists it; one reaped by another parent has
// none, and says so.
func TestNamedStatusOfAnOrphanReaped(t *testing.T) {
	rp := newReaper(nil)
	defer rp.close()
	r := &run{reaper: rp}
	p, err := os.StartProcess("/bin/sleep", []string{"sleep", "600"}, &os.ProcAttr{Files: []*os.File{nil, nil, nil}})
	if err != nil {
		t.Fatal(err)
	}
	pid := p.Pid
	_ = p.Release() // the reaper waits for it, as for an orphan it adopted
	start := startTimeOf(pid)
	h, err := proc.Open(pid)
	if err != nil {
		t.Fatal(err)
	}
	_ = h.Close() // its status from the reaper alone, as on a kernel that keeps none for a pidfd
	rp.keepStatus(pid)
	defer rp.forgetStatus(pid)
	_ = syscall.Kill(pid, syscall.SIGUSR1)
	testutil.WaitFor(t, "the orphan reaped", func() bool {
		_, err := os.Stat("/proc/" + strconv.Itoa(pid))
		return os.IsNotExist(err)
	})
	ws, known := r.namedStatus(h, start)
	if !known || !ws.Signaled() || ws.Signal() != syscall.SIGUSR1 {
		t.Fatalf("namedStatus = %s, %v; want killed by SIGUSR1, known", describe(ws), known)
	}
	rp.forgetStatus(pid)
	if _, known := r.namedStatus(h, start); known {
		t.Fatal("the status of a process the reaper no longer keeps, with no handle to ask, was said known")
	}
	if s := (mainEnd{}).String(); !strings.Contains(s, "not known") {
		t.Errorf("an end whose status is not known reads %q", s)
	}
}

// A named main process that its own parent reaps at once (a wrapper shell's wait, bash
// reaping a background job) has its status kept for the supervisor's handle, on a kernel
// that keeps it (Linux 6.15 and later), so that an end of exit 0 is not taken for a
// failure, nor a crash for an end of unknown status.
func TestNamedStatusReapedByItsParent(t *testing.T) {
	if !testutil.LinuxAtLeast(t, 6, 15) {
		t.Skip("the kernel keeps no exit status for a pidfd before Linux 6.15")
	}
	r := &run{reaper: newReaper(nil)}
	defer r.reaper.close()
	wrapper := exec.Command("/bin/sh", "-c", "sleep 600 & echo $!; wait $!; read x")
	out, err := wrapper.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	in, err := wrapper.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := wrapper.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = in.Close(); _ = wrapper.Process.Kill(); _ = wrapper.Wait() }()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatal(err)
	}
	h, err := proc.Open(pid)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	start := startTimeOf(pid)
	_ = syscall.Kill(pid, syscall.SIGUSR1)
	testutil.WaitFor(t, "the shell's wait reaping its job", func() bool {
		_, err := os.Stat("/proc/" + strconv.Itoa(pid))
		return os.IsNotExist(err)
	})
	ws, known := r.namedStatus(h, start)
	if !known || !ws.Signaled() || ws.Signal() != syscall.SIGUSR1 {
		t.Fatalf("namedStatus = %s, %v; want killed by SIGUSR1, known", describe(ws), known)
	}
}

// A MAINPID= naming its successor, sent before the main process it replaces exits (nginx's
// binary upgrade), is taken before that exit, even when the copy's reader of its
// notifications has not read it yet when the exit is seen: the copy goes on, and only the
// end of the one it names now ends it.
func TestNamedMainMoveReadBeforeTheOldOneEnds(t *testing.T) {
	t.Cleanup(func() { testHookMainEnded.Store(nil) })
	var atEnd atomic.Pointer[func()] // what the hook does, this try's
	hook := func(mainEnd) {
		if f := atEnd.Swap(nil); f != nil {
			(*f)()
		}
	}
	testHookMainEnded.Store(&hook)
	for i := range 10 {
		r, p, _, log, _ := servingCopy(t)
		sock, err := notify.Listen(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		r.acceptFrom(sock, p.pid) // this process sends: as systemd-notify run as root names its parent
		p.sock, p.notifyPath = sock, sock.Path()
		oldMain, newMain := testutil.StartSleep(t), testutil.StartSleep(t)
		name(t, r, p, oldMain.Process.Pid)
		conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: sock.Path(), Net: "unixgram"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Write([]byte("MAINPID=" + strconv.Itoa(newMain.Process.Pid))); err != nil {
			t.Fatal(err)
		}
		conn.Close()
		startReader := func() { go r.listenOn(p) } // the reader starts once the old one has ended
		atEnd.Store(&startReader)
		type waited struct {
			ws      syscall.WaitStatus
			stopped bool
		}
		result := make(chan waited, 1)
		go func() { _, ws, stopped := r.wait(p); result <- waited{ws, stopped} }() // the loop looks before
		_ = oldMain.Process.Kill()                                                 // after its successor was named
		testutil.WaitFor(t, "the new main named, or the copy ended", func() bool {
			return r.s.mainPID() == newMain.Process.Pid || len(result) > 0
		})
		_ = newMain.Process.Signal(syscall.SIGUSR2)
		res := <-result
		ws, stopped := res.ws, res.stopped
		sock.Close()
		if stopped || !ws.Signaled() || ws.Signal() != syscall.SIGUSR2 {
			t.Fatalf("try %d: wait = %s, stopped %v; want the new main's end (SIGUSR2), not the old one's:\n%s", i, describe(ws), stopped, log)
		}
	}
}

// A named main process whose status cannot be known (its parent reaped it, on an old kernel) ended a
// copy that served nothing: --restart on-failure counts it a failure, and restarts.
func TestNamedMainUnknownEndIsAFailure(t *testing.T) {
	ws := mainEnd{}.status()
	if plan := planAfterEnd(Config{Restart: RestartOnFailure, MaxRestarts: -1}, ws, time.Hour, 0, time.Second); !plan.restart {
		t.Fatalf("an end of unknown status (%s) not restarted by on-failure", describe(ws))
	}
	if code := (&ExitError{Status: ws}).ExitCode(); code == 0 {
		t.Fatal("an end of unknown status exits 0")
	}
}

// A named main process whose zombie /proc hides from the supervisor (root without
// CAP_SYS_PTRACE, a program run as another user), held unreaped by the process that
// forked it, a helper of the copy that runs on after the copy's first process has ended:
// the rest of the copy is killed all the same, as systemd's control-group kill mode does,
// the zombie comes to this subreaper, and its status, read again once it is reaped, is
// known, not taken for a failure.
func TestNamedStatusKnownOnceTheRestIsKilled(t *testing.T) {
	t.Run("from its handle", func(t *testing.T) {
		if !testutil.LinuxAtLeast(t, 6, 15) {
			t.Skip("the kernel keeps no exit status for a pidfd before Linux 6.15")
		}
		namedStatusOnceTheRestIsKilled(t)
	})
	t.Run("from the reaper", func(t *testing.T) { // as before Linux 6.15: the pidfd says nothing
		if !testutil.LinuxAtLeast(t, 6, 9) {
			t.Skip("the kernel reports no reap on a pidfd before Linux 6.9")
		}
		own := handleExitStatus
		handleExitStatus = func(*proc.Process) (syscall.WaitStatus, bool) { return 0, false }
		t.Cleanup(func() { handleExitStatus = own })
		namedStatusOnceTheRestIsKilled(t)
	})
}

func namedStatusOnceTheRestIsKilled(t *testing.T) {
	hidden := zombieExitStatus
	zombieExitStatus = func(int, uint64) (syscall.WaitStatus, bool) { return 0, false }
	t.Cleanup(func() { zombieExitStatus = hidden })
	leave, err := proc.EnterSubreaper()
	if err != nil {
		t.Fatal(err)
	}
	defer leave()
	r, p, _, log, exited := servingCopy(t)
	r.reaper = newReaper(nil)
	defer r.reaper.close()
	r.reaper.mu.Lock()
	r.reaper.waiting[p.pid] = exited // its stand-in first process, signalled through the reaper
	r.reaper.mu.Unlock()
	out, in, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	// The helper: it forks the main process, says its pid, and never reaps it.
	helper, err := os.StartProcess("/bin/sh", []string{"sh", "-c", "sleep 600 & echo $!; exec sleep 600"}, &os.ProcAttr{Files: []*os.File{nil, in, os.Stderr}})
	_ = in.Close()
	if err != nil {
		t.Fatal(err)
	}
	helperPID := helper.Pid // Release makes helper.Pid -1, which kill(2) takes for every process
	defer func() { _ = syscall.Kill(helperPID, syscall.SIGKILL) }()
	_ = helper.Release() // the reaper waits for it
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	main, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = syscall.Kill(main, syscall.SIGKILL) }()
	testutil.WaitFor(t, "the helper to be sleep, which reaps nothing", func() bool {
		// Before its exec, the shell would reap the main process itself.
		comm, _ := os.ReadFile("/proc/" + strconv.Itoa(helperPID) + "/comm")
		return string(comm) == "sleep\n"
	})
	name(t, r, p, main)
	_ = syscall.Kill(main, syscall.SIGUSR1)
	_, ws, stopped := r.wait(p)
	if stopped || !ws.Signaled() || ws.Signal() != syscall.SIGUSR1 {
		t.Fatalf("wait = %s, stopped %v; want the named main's own end (killed by SIGUSR1), read once the rest was killed:\n%s", describe(ws), stopped, log)
	}
	if want := "main process " + strconv.Itoa(main) + " (named by MAINPID=) killed by signal 10 (SIGUSR1)"; p.failure != want {
		t.Errorf("its last exit %q, want %q", p.failure, want)
	}
}

// The status the reaper keeps of a named main process outlives its watch, which ends
// once it has handed the end on: endForMain reads it again once the rest of the copy has
// stopped (where the kernel keeps none for a pidfd, before Linux 6.15, it is all there
// is of an orphan this subreaper reaped). It is let go once the handle is closed.
func TestNamedStatusKeptUntilTheHandleCloses(t *testing.T) {
	r, p, _, _, _ := servingCopy(t)
	r.reaper = newReaper(nil)
	defer r.reaper.close()
	named, err := os.StartProcess("/bin/sleep", []string{"sleep", "600"}, &os.ProcAttr{Files: []*os.File{nil, nil, nil}})
	if err != nil {
		t.Fatal(err)
	}
	pid := named.Pid // Release makes named.Pid -1, which kill(2) takes for every process
	defer func() { _ = syscall.Kill(pid, syscall.SIGKILL) }()
	_ = named.Release() // the reaper reaps it, as an orphan it adopted
	name(t, r, p, pid)
	_ = syscall.Kill(pid, syscall.SIGUSR1)
	end := <-p.mainGone // the watch has handed it on, and is over
	testutil.WaitFor(t, "the reaper to reap it", func() bool {
		_, known := r.reaper.keptStatusOf(pid)
		return known
	})
	if ws, known := r.reaper.keptStatusOf(end.h.PID()); !known || ws.Signal() != syscall.SIGUSR1 {
		t.Fatalf("kept status once the watch is over = %s, %v; want killed by SIGUSR1", describe(ws), known)
	}
	r.s.dropMain(p)
	if _, known := r.reaper.keptStatusOf(pid); known {
		t.Error("the status is still kept after the handle was closed")
	}
}
