package proc

import (
	"fmt"
	"os"
	"strings"
	"testing"

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
