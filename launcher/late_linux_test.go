package launcher

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/daemonkit/daemonkit/handshake"
	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/daemonkit/daemonkit/internal/testutil"
	"github.com/daemonkit/daemonkit/strategy"
)

// TestLateWord: at the deadline, the reports written by then are taken, whether the
// handshake's reader has read them yet or they still wait in the pipe (FIONREAD counts
// them), and none written after it: a report that ends past the bytes written by the
// deadline does not count, nor does anything once all of those are taken.
func TestLateWord(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if n := pendingBytes(r); n != 0 {
		t.Fatalf("pendingBytes of an empty pipe = %d, want 0", n)
	}
	ctx := context.Background()
	if ev, ok := lateWord(ctx, make(chan handshake.Event), 0, 0); ok {
		t.Fatalf("lateWord with nothing written by the deadline = %+v, want none", ev)
	}

	line := "{\"ready\":true,\"pid\":42}\n"
	if _, err := w.WriteString(line); err != nil {
		t.Fatal(err)
	}
	if n := pendingBytes(r); n != len(line) {
		t.Fatalf("pendingBytes = %d, want %d", n, len(line))
	}
	// The word waits in the pipe, and the reader starts only now: lateWord waits for it.
	done := make(chan struct{})
	defer close(done)
	rd := handshake.NewReader(r, done)
	ev, ok := lateWord(ctx, rd.Events(), 0, int64(len(line)))
	if !ok || !ev.Report.Ready || ev.Report.PID != 42 || ev.End != int64(len(line)) {
		t.Fatalf("lateWord = %+v, %v: want the ready report of pid 42, ending at %d", ev, ok, len(line))
	}

	after := make(chan handshake.Event, 1) // a report written after the deadline
	after <- handshake.Event{Report: handshake.Report{PID: 42, Ready: true}, End: 80}
	if ev, ok := lateWord(ctx, after, 40, 60); ok {
		t.Fatalf("lateWord took %+v, which ends past the bytes written by the deadline", ev)
	}
}

// TestAwaitTakesEveryWordThatCameByTheDeadline: when the deadline has passed by the time
// the launcher looks (it was stopped, Ctrl-Z, or starved) and the daemon wrote several
// reports by then, status lines and then ready, which the reader takes from the pipe in one
// read and hands over one by one, the ready among them decides: the start succeeds, and the
// ready daemon is not killed.
func TestAwaitTakesEveryWordThatCameByTheDeadline(t *testing.T) {
	daemon := exec.Command("sleep", "600")
	daemon.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // as a strategy leaves it
	if err := daemon.Start(); err != nil {
		t.Fatal(err)
	}
	pid := daemon.Process.Pid
	defer func() { _ = daemon.Process.Kill() }() // reaped by the launcher's reapWhenGone
	for round := range 20 {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		words := ""
		for _, rep := range []string{`{"pid":%d}`, `{"pid":%d,"status":"loading part 1"}`, `{"pid":%d,"status":"loading part 2"}`, `{"pid":%d,"ready":true}`} {
			words += fmt.Sprintf(rep, pid) + "\n"
		}
		if _, err := w.WriteString(words); err != nil {
			t.Fatal(err)
		}
		w.Close() // the handshake's end, after ready
		// The reader takes them all from the pipe, and holds them but the first, unsent,
		// by the time the launcher looks at its deadline.
		done := make(chan struct{})
		rd := handshake.NewReader(r, done)
		testutil.WaitFor(t, "the reader to take every report", func() bool { return rd.Taken() == int64(len(words)) })
		l := &launcher{log: hclog.NewNullLogger(), timeout: time.Nanosecond, started: strategy.Started{Process: daemon.Process, IsDaemon: true}}
		res, err := l.awaitReports(context.Background(), r, rd)
		close(done)
		r.Close()
		if err != nil || res.PID != pid {
			t.Fatalf("round %d: await = %+v, %v; want pid %d ready", round, res, err, pid)
		}
		if st, err := proc.ReadStat(pid); err != nil || st.Zombie() {
			t.Fatalf("round %d: the ready daemon (pid %d) was killed", round, pid)
		}
	}
}

// logHook runs fn the first time a log line holding key is written.
type logHook struct {
	key  string
	once sync.Once
	fn   func()
}

func (h *logHook) Write(p []byte) (int, error) {
	if strings.Contains(string(p), h.key) {
		h.once.Do(h.fn)
	}
	return len(p), nil
}

// TestAwaitRefusesAWordWrittenAfterTheDeadline: once the deadline has passed, a report
// the daemon writes after it does not count, even when the reader brings it before the
// launcher looks at its deadline again: a daemon not ready in time is not ready.
func TestAwaitRefusesAWordWrittenAfterTheDeadline(t *testing.T) {
	for round := range 10 {
		daemon := exec.Command("sleep", "600")
		daemon.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // as a strategy leaves it
		if err := daemon.Start(); err != nil {
			t.Fatal(err)
		}
		killAtEnd := daemon.Process
		pid := daemon.Process.Pid
		empty, ew, err := os.Pipe() // FIONREAD's pipe: nothing waits there
		if err != nil {
			t.Fatal(err)
		}
		pr, pw := io.Pipe()
		status := fmt.Sprintf("{\"pid\":%d,\"status\":\"loading\"}\n", pid)
		ready := fmt.Sprintf("{\"pid\":%d,\"ready\":true}\n", pid)
		done := make(chan struct{})
		rd := handshake.NewReader(pr, done)
		go func() { _, _ = pw.Write([]byte(status)) }()
		testutil.WaitFor(t, "the reader to take the status", func() bool { return rd.Taken() == int64(len(status)) })
		hook := &logHook{key: "daemon status", fn: func() { // taken after the deadline: its limit is set
			go func() { _, _ = pw.Write([]byte(ready)) }()
			testutil.WaitFor(t, "the reader to take the ready", func() bool { return rd.Taken() == int64(len(status)+len(ready)) })
		}}
		l := &launcher{log: hclog.New(&hclog.LoggerOptions{Level: hclog.Debug, Output: hook}), timeout: time.Nanosecond,
			started: strategy.Started{Process: daemon.Process, IsDaemon: true}}
		res, err := l.awaitReports(context.Background(), empty, rd)
		close(done)
		pw.Close()
		empty.Close()
		ew.Close()
		_ = killAtEnd.Kill()
		_, _ = daemon.Process.Wait()
		if err == nil {
			t.Fatalf("round %d: await = %+v: started by a ready written after the deadline", round, res)
		}
	}
}

// TestAwaitWaitsForTheDrainOfAStop: a daemon that says a stop came before it was ready is
// given the time its drain may take, past the ready deadline, and killed only after that:
// the error says it was stopped (ErrStopped) and its drain did not end in time, not that it
// was not ready.
func TestAwaitWaitsForTheDrainOfAStop(t *testing.T) {
	daemon := exec.Command("sleep", "600")
	daemon.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // as a strategy leaves it
	if err := daemon.Start(); err != nil {
		t.Fatal(err)
	}
	pid := daemon.Process.Pid
	defer func() { _ = daemon.Process.Kill(); _, _ = daemon.Process.Wait() }()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close() // the daemon's end stays open: it neither reports nor ends
	const drain = 300 * time.Millisecond
	if _, err := fmt.Fprintf(w, "{\"pid\":%d}\n{\"pid\":%d,\"stopping\":\"stopped by SIGTERM\",\"extend\":%d}\n", pid, pid, drain); err != nil {
		t.Fatal(err)
	}
	l := &launcher{log: hclog.NewNullLogger(), timeout: time.Millisecond, started: strategy.Started{Process: daemon.Process, IsDaemon: true}}
	begin := time.Now()
	_, err = l.await(context.Background(), r)
	if waited := time.Since(begin); waited < drain {
		t.Errorf("gave up after %v, before the drain's %v", waited, drain)
	}
	var stopped *StoppedError
	if !errors.As(err, &stopped) || !errors.Is(err, ErrStopped) || errors.Is(err, ErrNotReady) {
		t.Fatalf("await = %v; want a *StoppedError", err)
	}
	if want := "stopped by SIGTERM before it was ready; its drain did not end in time"; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q; want it to begin %q", err, want)
	}
}
