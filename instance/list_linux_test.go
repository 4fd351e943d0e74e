package instance

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// TestListStartReadyMeanwhile: a start that gets ready between a look at its instance
// (stopped: nobody holds the pidfile) and the read of its record, which its daemon has
// just written, is told as running by its lock, as List and status (InspectLastRun) see
// it: never as a run that went without stopping ("failed", "gone without stopping"), nor
// its daemon as a process a crashed run left running.
func TestListStartReadyMeanwhile(t *testing.T) {
	for _, tc := range []struct {
		what string
		look func(Paths) (Status, *Record)
	}{
		{"List", func(p Paths) (Status, *Record) {
			entries, err := List(Layout{StateDir: filepath.Dir(p.PIDFile), LogDir: t.TempDir()})
			if err != nil || len(entries) != 1 {
				t.Fatalf("List = %+v, %v: want one entry", entries, err)
			}
			if s := entries[0].State(); s != StateRunning {
				t.Errorf("List: state %q, last exit %q: want running", s, entries[0].LastExit())
			}
			return entries[0].Status, entries[0].Record
		}},
		{"InspectLastRun", func(p Paths) (Status, *Record) {
			st, rec, recErr, err := InspectLastRun(p)
			if err != nil || recErr != nil || rec != nil {
				t.Errorf("InspectLastRun: record %+v, %v, %v: want none (a running instance's is Status.Record)", rec, recErr, err)
			}
			return st, st.Record
		}},
	} {
		t.Run(tc.what, func(t *testing.T) {
			p := testPaths(t, "web")
			stopped := Record{Name: p.Name, PID: 4000, State: StateStopped, StoppedAt: time.Now().Add(-time.Minute), PIDFile: p.PIDFile}
			if err := WriteRecord(p.Record, stopped); err != nil {
				t.Fatal(err)
			}
			var d *daemon
			t.Cleanup(func() { testHookBeforeLastRecord = nil })
			testHookBeforeLastRecord = func() {
				testHookBeforeLastRecord = nil
				d = startDaemon(t, graceful, p.PIDFile, false)
				rec := Record{Name: p.Name, PID: d.pid, StartTime: StartTime(d.pid), BootID: BootID(), PIDFile: p.PIDFile,
					State: StateRunning, StartedAt: time.Now()}
				if err := WriteRecord(p.Record, rec); err != nil {
					t.Fatal(err)
				}
			}
			st, rec := tc.look(p)
			if d == nil {
				t.Fatal("the instance was never found stopped: the test proves nothing")
			}
			if !st.Running() || st.PID() != d.pid || rec == nil || rec.PID != d.pid {
				t.Fatalf("%s: status %+v, record %+v: want running by the lock of pid %d, with its record", tc.what, st, rec, d.pid)
			}
		})
	}
}

// TestListLeavesOutAnotherInstancesPIDFile: web started with --pidfile DIR/app.pid keeps
// its record, web.json, beside it. List shows web, running, and no instance "app"
// starting with web's pid; a pidfile whose holder no record proves stays listed.
func TestListLeavesOutAnotherInstancesPIDFile(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "app.pid")
	d := startDaemon(t, graceful, pidFile, false)
	names := func() []string {
		t.Helper()
		entries, err := List(Layout{StateDir: dir, LogDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range entries {
			got = append(got, e.Paths.Name+" "+e.State())
		}
		return got
	}
	rec := Record{Name: "web", PIDFile: pidFile, PID: d.pid + 1, StartTime: StartTime(d.pid) + 1, BootID: BootID(),
		State: StateRunning, StartedAt: time.Now()}
	if err := WriteRecord(filepath.Join(dir, "web.json"), rec); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(names()); got != "[app starting web failed]" {
		t.Errorf("a record of another process proves nothing: List = %s, want [app starting web failed]", got)
	}
	rec.PID, rec.StartTime = d.pid, StartTime(d.pid)
	if err := WriteRecord(filepath.Join(dir, "web.json"), rec); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(names()); got != "[web running]" {
		t.Errorf("List = %s, want [web running]: app.pid is web's, given alone", got)
	}

	var want []string // however many other records the directory holds
	for i := range 70 {
		other := fmt.Sprintf("other%02d", i)
		if err := WriteRecord(filepath.Join(dir, other+".json"), Record{Name: other, PIDFile: filepath.Join(dir, other+".pid"), State: StateStopped}); err != nil {
			t.Fatal(err)
		}
		want = append(want, other+" stopped")
	}
	want = append(want, "web running")
	if got := fmt.Sprint(names()); got != fmt.Sprint(want) {
		t.Errorf("with 70 other records: List = %s, want %s", got, want)
	}

	startDaemon(t, graceful, filepath.Join(dir, "app.starting"), false) // a start of app itself, under way
	if got := fmt.Sprint(names()); got != fmt.Sprint(append([]string{"app starting"}, want...)) {
		t.Errorf("with a start of app under way: List = %s, want app starting too", got)
	}
}
