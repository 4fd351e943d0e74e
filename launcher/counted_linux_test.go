package launcher

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/daemonkit/daemonkit/strategy"
)

// TestCountedPipeNoReadUncounted: bytes a read has taken from the handshake pipe are never
// missing from written, neither in the pipe nor counted: written, looked at while a read
// holds them between the two, waits for their count. Counted after the read returned, they
// were missing for that moment, and the word of a daemon ready in time, read just as a
// launcher continued past its deadline looked at it (start_ready_while_stopped under a full
// suite), was taken for a late one.
func TestCountedPipeNoReadUncounted(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	p, err := newCountedPipe(r)
	if err != nil {
		t.Fatal(err)
	}
	line := "{\"ready\":true,\"pid\":42}\n"
	if _, err := w.WriteString(line); err != nil {
		t.Fatal(err)
	}
	taken, release := make(chan struct{}), make(chan struct{})
	testHookCountedRead = func() { close(taken); <-release } // between the read and its count
	defer func() { testHookCountedRead = nil }()
	readDone := make(chan error, 1)
	go func() {
		_, err := p.Read(make([]byte, 64))
		readDone <- err
	}()
	<-taken
	got := make(chan int64, 1)
	go func() { got <- p.written() }()
	// written may not answer while the bytes are uncounted: an answer within this bound is
	// checked; none is what is due (the bound ends the look, it decides nothing).
	select {
	case n := <-got:
		close(release)
		t.Fatalf("written = %d while a read held the bytes it took uncounted, want %d", n, len(line))
	case <-time.After(200 * time.Millisecond):
	}
	close(release)
	if err := <-readDone; err != nil {
		t.Fatal(err)
	}
	if n := <-got; n != int64(len(line)) {
		t.Fatalf("written = %d, want %d", n, len(line))
	}
}

// TestAwaitCountsAReadHeldAtTheDeadline: await reads the handshake through countedPipe
// and counts the bytes written by the deadline with it: a ready report read from the pipe
// before the deadline, and held by its read, uncounted, while the deadline passes and the
// launcher counts (a launcher stopped, Ctrl-Z, and continued past its deadline), decides,
// and the ready daemon is not killed. Counted as the handshake's reader counts them (after
// the read returned), they were missing from the count, and the launcher said "not ready"
// and killed it, which the read, held until then, sees in the log.
func TestAwaitCountsAReadHeldAtTheDeadline(t *testing.T) {
	daemon := exec.Command("sleep", "600")
	daemon.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // as a strategy leaves it
	if err := daemon.Start(); err != nil {
		t.Fatal(err)
	}
	pid := daemon.Process.Pid
	defer func() { _ = daemon.Process.Kill() }() // reaped by the launcher's reapWhenGone, or here
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := fmt.Fprintf(w, "{\"pid\":%d,\"ready\":true}\n", pid); err != nil {
		t.Fatal(err)
	}
	const timeout = 50 * time.Millisecond
	refused := make(chan struct{})
	hook := &logHook{key: "not ready in time", fn: func() { close(refused) }}
	var once sync.Once
	testHookCountedRead = func() { // the read has taken the ready report: hold it past the deadline
		once.Do(func() {
			// Until the launcher has refused the daemon; with the count held by the lock it
			// waits for this read instead, and the bound ends the hold (it decides nothing).
			select {
			case <-refused:
			case <-time.After(timeout + time.Second):
			}
		})
	}
	defer func() { testHookCountedRead = nil }()
	l := &launcher{log: hclog.New(&hclog.LoggerOptions{Level: hclog.Debug, Output: hook}), timeout: timeout,
		started: strategy.Started{Process: daemon.Process, IsDaemon: true}}
	res, err := l.await(context.Background(), r)
	if err != nil || res.PID != pid {
		t.Fatalf("await = %+v, %v; want pid %d ready", res, err, pid)
	}
	if st, err := proc.ReadStat(pid); err != nil || st.Zombie() {
		t.Fatalf("the ready daemon (pid %d) was killed", pid)
	}
}
