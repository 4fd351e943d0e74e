package supervisor

import (
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/daemonkit/daemonkit/internal/testutil"
)

// TestReaperWatchKeepsOnlyExpected: while an adoption is open (expect), the status of a
// child nobody claimed is kept for watch, so a daemon that ends before it is watched is
// still seen to end; with none open nothing is kept, so stale statuses cannot pile up or be
// taken for a later process with the same pid.
func TestReaperWatchKeepsOnlyExpected(t *testing.T) {
	rp := newReaper(nil)
	defer rp.close()

	done := rp.expect()
	pid := startUnclaimed(t, "exit 3")
	testutil.WaitFor(t, "the unclaimed child reaped and kept", func() bool {
		rp.mu.Lock()
		defer rp.mu.Unlock()
		_, ok := rp.early[pid]
		return ok
	})
	select {
	case ws := <-rp.watch(pid):
		if !ws.Exited() || ws.ExitStatus() != 3 {
			t.Fatalf("watch delivered %v, want exit status 3", ws)
		}
	default:
		t.Fatal("watch after the child was reaped delivered nothing")
	}
	done()

	pid = startUnclaimed(t, "exit 0")
	testutil.WaitFor(t, "the second child reaped", func() bool {
		_, err := os.Stat("/proc/" + strconv.Itoa(pid))
		return os.IsNotExist(err)
	})
	rp.mu.Lock()
	kept := len(rp.early)
	rp.mu.Unlock()
	if kept != 0 {
		t.Fatalf("with no adoption open the reaper kept %d statuses", kept)
	}
	ch := rp.watch(pid)
	rp.unwatch(pid)
	if len(ch) != 0 {
		t.Fatal("watch delivered a status nobody kept")
	}
}

// startUnclaimed starts sh -c script, which exits at once, as a child the reaper was not
// told of.
func startUnclaimed(t *testing.T, script string) int {
	t.Helper()
	p, err := os.StartProcess("/bin/sh", []string{"sh", "-c", script}, &os.ProcAttr{Files: []*os.File{nil, nil, nil}})
	if err != nil {
		t.Fatal(err)
	}
	pid := p.Pid
	_ = p.Release() // it exits on its own, and the reaper waits for it
	return pid
}

// A spawn in progress (an exec that blocks: a binary on a hung network mount) holds up
// neither a signal to another child, which a stop sends through the reaper, nor the
// spawned child's own registration: its end is still delivered once it runs.
func TestReaperSpawnHoldsNothingUp(t *testing.T) {
	rp := newReaper(nil)
	defer rp.close()
	attr := &os.ProcAttr{Files: []*os.File{nil, nil, nil}}
	live, exited, err := rp.start("/bin/sh", []string{"sh", "-c", "exec sleep 60"}, attr)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = syscall.Kill(live, syscall.SIGKILL); <-exited }()

	entered, release := make(chan struct{}), make(chan struct{})
	var freeOnce sync.Once
	free := func() { freeOnce.Do(func() { close(release) }) }
	defer free() // whatever fails, the held spawn goes on, and start returns
	held := spawnChild
	spawnChild = func(path string, argv []string, attr *os.ProcAttr) (*os.Process, error) {
		close(entered)
		<-release
		return held(path, argv, attr)
	}
	defer func() { spawnChild = held }()
	started := make(chan syscall.WaitStatus, 1)
	go func() {
		_, ch, err := rp.start("/bin/sh", []string{"sh", "-c", "exit 7"}, attr)
		if err != nil {
			t.Error(err)
			close(started)
			return
		}
		started <- <-ch
	}()
	<-entered

	killed := make(chan bool, 1)
	go func() { killed <- rp.kill(live, exited, syscall.SIGKILL) }()
	if !testutil.Receive(t, killed, "a kill while another child's spawn is held") {
		t.Error("the kill of a live child was not sent")
	}
	free()
	if ws := testutil.Receive(t, started, "the held child's end"); !ws.Exited() || ws.ExitStatus() != 7 {
		t.Errorf("the held child's end: %v, want exit status 7", ws)
	}
}

// A child that ends at once, maybe reaped before start registers it, has its end delivered
// all the same, every time.
func TestReaperStartDeliversEveryEnd(t *testing.T) {
	rp := newReaper(nil)
	defer rp.close()
	attr := &os.ProcAttr{Files: []*os.File{nil, nil, nil}}
	for i := range 200 {
		_, ch, err := rp.start("/bin/sh", []string{"sh", "-c", "exit 3"}, attr)
		if err != nil {
			t.Fatal(err)
		}
		if ws := testutil.Receive(t, ch, "the end of child "+strconv.Itoa(i)); ws.ExitStatus() != 3 {
			t.Fatalf("child %d: %v, want exit status 3", i, ws)
		}
	}
	rp.mu.Lock()
	defer rp.mu.Unlock()
	if len(rp.early) != 0 || len(rp.waiting) != 0 {
		t.Errorf("left behind: %d kept, %d waited for", len(rp.early), len(rp.waiting))
	}
}

// A reap and kill's look at the pids waited for are each one step under mu, so kill never
// finds a pid reaped (free to be a stranger's) but still waited for: called for a pid the
// moment it is reaped, before the reaper hands its status on, kill sends nothing. Were the
// reap made outside mu, kill would look in between, find the pid, and signal it.
func TestReaperKillDuringReapSendsNothing(t *testing.T) {
	var sentMu sync.Mutex
	var sent []int
	old := killPID
	killPID = func(pid int, sig syscall.Signal) error {
		sentMu.Lock()
		defer sentMu.Unlock()
		sent = append(sent, pid)
		return nil // as a stranger given the pid would take it
	}
	defer func() { killPID = old }()

	var rp *reaper
	var target atomic.Int64                    // the child's pid, stored once rp is set
	var registration <-chan syscall.WaitStatus // the child's, set before target is stored
	killed := make(chan bool, 1)
	afterReap = func(pid int) {
		if int64(pid) != target.Load() {
			return
		}
		finished := make(chan struct{})
		go func() {
			defer close(finished)
			killed <- rp.kill(pid, registration, syscall.SIGTERM)
		}()
		if rp.mu.TryLock() {
			// mu is free between the reap and its bookkeeping: nothing keeps kill from
			// looking now, so it is let look. (Held, as it must be, kill waits for the
			// bookkeeping: waiting for it here would never end.)
			rp.mu.Unlock()
			<-finished
		}
	}
	rp = newReaper(nil)
	afterReap = nil // rp has its own copy
	defer rp.close()

	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	// It ends when its stdin does: once its pid is known.
	pid, exited, err := rp.start("/bin/sh", []string{"sh", "-c", "read x"}, &os.ProcAttr{Files: []*os.File{r, nil, nil}})
	if err != nil {
		t.Fatal(err)
	}
	registration = exited
	target.Store(int64(pid))
	_ = w.Close()
	testutil.Receive(t, exited, "the child's end")
	if testutil.Receive(t, killed, "the kill made as the child was reaped") {
		t.Error("kill of a child being reaped reported sent")
	}
	sentMu.Lock()
	defer sentMu.Unlock()
	if len(sent) > 0 {
		t.Errorf("kill made as pid %d was reaped sent to %v (free to be a stranger's): want nothing sent", pid, sent)
	}
}
