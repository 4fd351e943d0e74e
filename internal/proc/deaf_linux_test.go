package proc

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestGoDeaf: f runs on a thread that blocks every signal, so that the kernel never picks
// it to take one sent to the process, and never on the main thread, even when GoDeaf is
// called from it.
func TestGoDeaf(t *testing.T) {
	type seen struct {
		mask string
		main bool
	}
	got := make(chan seen)
	f := func() {
		status, _ := os.ReadFile(fmt.Sprintf("/proc/self/task/%d/status", unix.Gettid()))
		s := seen{main: unix.Gettid() == unix.Getpid()}
		for line := range strings.Lines(string(status)) {
			if v, ok := strings.CutPrefix(line, "SigBlk:"); ok {
				s.mask = strings.TrimSpace(v)
			}
		}
		got <- s
	}
	for range 20 { // from wherever the caller runs; the main thread among them, most likely
		GoDeaf(f)
		if s := <-got; s.mask != "fffffffffffbfeff" || s.main { // all but KILL (9) and STOP (19)
			t.Fatalf("SigBlk %q on the main thread %v; want every signal blocked, not the main thread", s.mask, s.main)
		}
	}
}

// TestGoDeafReusesThreads: once f returns, its thread goes back to the runtime with its
// signal mask as it was, to run what comes next, rather than end. Every record write, log
// reopen and chore of a daemon runs through GoDeaf: a thread made and ended for each cost
// a clone each time, and where the user's processes and threads are at their limit
// (ulimit -u), the clone failed and the Go runtime aborted the daemon ("pthread_create
// failed").
func TestGoDeafReusesThreads(t *testing.T) {
	const calls = 50
	tids := map[int]bool{}
	got := make(chan int)
	for range calls {
		GoDeaf(func() { got <- unix.Gettid() })
		tids[<-got] = true
	}
	if len(tids) > calls/2 {
		t.Errorf("%d calls ran on %d threads: each made one of its own, to end it", calls, len(tids))
	}
	// And a thread it gives back blocks what it blocked before, not every signal: once
	// GoDeaf has put its mask back, a moment after the last f sent its tid.
	for tid := range tids {
		deadline := time.Now().Add(10 * time.Second)
		for {
			b, err := os.ReadFile(fmt.Sprintf("/proc/self/task/%d/status", tid))
			if err != nil {
				break // gone: the runtime may end an idle thread
			}
			mask := sigBlk(string(b))
			if mask != "fffffffffffbfeff" {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("thread %d blocks every signal (SigBlk %s) 10s after f returned", tid, mask)
				break
			}
			time.Sleep(time.Millisecond) // a mask put back wakes nobody: polled, with a deadline
		}
	}
}

// sigBlk is the SigBlk line's value of a /proc status file.
func sigBlk(status string) string {
	for line := range strings.Lines(status) {
		if v, ok := strings.CutPrefix(line, "SigBlk:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
