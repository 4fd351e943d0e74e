package instance

import (
	"testing"

	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/daemonkit/daemonkit/internal/testutil"
)

// TestProgramGone: the process a running daemon's record names as its program, with its
// start time, is Gone once it has ended and is not there (a named main process whose
// wrapper runs on), or another process has its pid; one that is there with its start time
// but not below the daemon (an orphan reparented past it) says nothing either way.
func TestProgramGone(t *testing.T) {
	p := testPaths(t, "svc")
	d := startDaemon(t, graceful, p.PIDFile, false)
	ended := testutil.StartSleep(t)
	st, err := proc.ReadStat(ended.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	_ = ended.Process.Kill()
	_ = ended.Wait()
	live := testutil.StartSleep(t)
	liveSt, err := proc.ReadStat(live.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		what      string
		pid       int
		startTime uint64
		gone      bool
	}{
		{"ended and reaped", ended.Process.Pid, st.StartTime, true},
		{"its pid another's", live.Process.Pid, liveSt.StartTime + 1, true},
		{"there, not below the daemon", live.Process.Pid, liveSt.StartTime, false},
		{"no start time recorded", ended.Process.Pid, 0, false},
		{"ended by the instance's stop", ended.Process.Pid, st.StartTime, false},
	} {
		state := ""
		if c.what == "ended by the instance's stop" {
			state = StateStopping
		}
		if err := WriteRecord(p.Record, Record{Name: p.Name, PID: d.pid, State: state, Command: []string{"sleep", "600"}, ChildPID: c.pid, ChildStartTime: c.startTime}); err != nil {
			t.Fatal(err)
		}
		s, err := Inspect(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Program(); got.Gone != c.gone || got.PID != 0 {
			t.Errorf("%s: Program() = %+v, want Gone %v", c.what, got, c.gone)
		}
	}
}
