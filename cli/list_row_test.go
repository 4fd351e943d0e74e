package cli

import (
	"testing"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/pidfile"
)

// TestListRowNoOtherRunsRecord: list shows what a record tells (strategy, command,
// restarts, last exit) only of the run its state is about: not of a start under way (its
// daemon not launched yet, or not ready), nor of a stale pidfile the record does not name;
// "-" then, never an earlier run's, nor the listing program's name.
func TestListRowNoOtherRunsRecord(t *testing.T) {
	older := &instance.Record{Name: "web", PID: 4000, State: instance.StateStopped, Strategy: "setsid", Program: "daemonkit",
		Command: []string{"sleep", "1000"}, Restarts: 3, LastExit: "exited with status 1"}
	for _, tc := range []struct {
		what string
		st   instance.Status
		rec  *instance.Record
	}{
		{"starting, its daemon not launched yet", instance.Status{Starting: true, StartPID: 4100}, older},
		{"starting, not ready", instance.Status{Starting: true, Pidfile: pidfile.Status{State: pidfile.Running, PID: 4200, FilePID: 4200}}, nil},
		{"stale, of another run", instance.Status{Pidfile: pidfile.Status{State: pidfile.Stale, FilePID: 4300}}, older},
	} {
		r := newListRow(instance.Entry{Paths: instance.Paths{Name: "web"}, Status: tc.st, Record: tc.rec})
		if r.Strategy != "" || len(r.Command) != 0 || r.Restarts != 0 || r.LastExit != "" || !r.StoppedAt.IsZero() {
			t.Errorf("%s: list shows %+v: want nothing of another run", tc.what, r)
		}
		if got := r.restartsText(); got != "-" {
			t.Errorf("%s: RESTARTS %s: want -, which no record tells", tc.what, got)
		}
		if r.Command == nil {
			t.Errorf("%s: command is nil: want [] in --json, an array as always", tc.what)
		}
	}
	// the stale pidfile's own run: its record tells
	r := newListRow(instance.Entry{Paths: instance.Paths{Name: "web"}, Record: older,
		Status: instance.Status{Pidfile: pidfile.Status{State: pidfile.Stale, FilePID: 4000}}})
	if r.State != instance.StateStale || r.Strategy != "setsid" || shellJoin(r.Command) != "sleep 1000" || r.restartsText() != "3" || r.LastExit != "exited with status 1" {
		t.Errorf("stale, of its record's run: list shows %+v", r)
	}
}

// TestListRowStartingEmptyPidfile: a daemon's pidfile is empty for an instant, between its
// creation and the write of its pid; list of an instance starting then notes no problem
// (nothing on stderr, no "problem" in --json), while an empty pidfile that nothing starts
// is still one to note.
func TestListRowStartingEmptyPidfile(t *testing.T) {
	_, empty := pidfile.ParsePID(nil)
	for _, tc := range []struct {
		what        string
		st          instance.Status
		wantProblem bool
	}{
		{"starting, its pidfile not locked yet", instance.Status{Starting: true, StartPID: 4100, Pidfile: pidfile.Status{State: pidfile.Stale, ContentErr: empty}}, false},
		{"starting, its pid not written yet", instance.Status{Starting: true, Pidfile: pidfile.Status{State: pidfile.Running, PID: 4200, ContentErr: empty}}, false},
		{"stale, empty", instance.Status{Pidfile: pidfile.Status{State: pidfile.Stale, ContentErr: empty}}, true},
	} {
		r := newListRow(instance.Entry{Paths: instance.Paths{Name: "web", PIDFile: "/run/daemonkit/web.pid"}, Status: tc.st})
		if got := r.Problem != ""; got != tc.wantProblem {
			t.Errorf("%s: problem %q; want a problem: %v", tc.what, r.Problem, tc.wantProblem)
		}
	}
}
