package supervisor

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"
)

// What outlives the SIGKILL of a copy's process group (a process in state D, stuck on a
// dead NFS server) is said in the log, with why, as the supervisor goes on beside it
// (an upgrade's drain, a copy that failed to get ready): it may hold the port, or the
// file lock, that the next copy needs. The seams stand for such a process, which cannot be
// made at will.
func TestKillGroupSaysWhatOutlivedIt(t *testing.T) {
	rp := newReaper(nil)
	defer rp.close()
	pid, exited, err := rp.start("/bin/sh", []string{"sh", "-c", "exit 0"}, &os.ProcAttr{Files: []*os.File{nil, nil, nil}})
	if err != nil {
		t.Fatal(err)
	}
	ws := <-exited // reaped: what it left in its group is found in /proc (proc.KillGroup)
	const stuck = 1<<22 + 7
	oldLeft, oldWhy := testHookKillGroupLeft, whyOutlived
	t.Cleanup(func() { testHookKillGroupLeft, whyOutlived = oldLeft, oldWhy })
	testHookKillGroupLeft = func([]int) []int { return []int{stuck} }
	whyOutlived = func(p int) string {
		if p == stuck {
			return "a thread of it waits in the kernel (state D)"
		}
		return ""
	}
	var log bytes.Buffer
	r := &run{log: hclog.New(&hclog.LoggerOptions{Output: &log}), reaper: rp}
	r.killGroup(&program{pid: pid, exited: closedStatus(ws), gen: 3})
	out := log.String()
	for _, want := range []string{"[WARN]", "outlived SIGKILL", fmt.Sprintf("pids=[%d]", stuck),
		fmt.Sprintf("pid %d: a thread of it waits in the kernel (state D)", stuck), "generation=3", "within=10s"} {
		if !strings.Contains(out, want) {
			t.Errorf("log after a group kill that left pid %d: %q, want %q in it", stuck, out, want)
		}
	}

	log.Reset()
	testHookKillGroupLeft = func([]int) []int { return nil }
	r.killGroup(&program{pid: pid, exited: closedStatus(ws), gen: 3})
	if log.Len() > 0 {
		t.Errorf("log after a group kill that left nothing: %q, want nothing", &log)
	}
}
