package instance

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestList: one state directory holding an instance in every state, and files that are
// no instance. Each is found by its record or its pidfile, its state is decided by the
// pidfile's lock whatever its record says, and the list is sorted by name.
func TestList(t *testing.T) {
	dir := t.TempDir()
	l := Layout{StateDir: dir, LogDir: filepath.Join(dir, "logs")}
	path := func(file string) string { return filepath.Join(dir, file) }
	write := func(file, content string) {
		t.Helper()
		if err := os.WriteFile(path(file), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	record := func(name string, r Record) {
		t.Helper()
		r.Name = name
		if err := WriteRecord(path(name+".json"), r); err != nil {
			t.Fatal(err)
		}
	}

	// running: holds its pidfile, and its record names it.
	d := startDaemon(t, graceful, path("web.pid"), false)
	record("web", Record{PID: d.pid, State: StateRunning, Strategy: "setsid", StartedAt: time.Now().Add(-time.Minute), Log: "/var/log/web.log"})
	// starting: found by its pidfile alone, no record yet (a daemon writes it once ready).
	d2 := startDaemon(t, graceful, path("api.pid"), false)
	// starting, though an old record of another pid says stopped: the lock decides, and
	// the record is not yet this run's.
	d3 := startDaemon(t, graceful, path("cron.pid"), false)
	record("cron", Record{PID: d3.pid + 1, State: StateStopped, LastExit: "stopped"})
	// stale: a pidfile nobody holds; its record still says running.
	write("db.pid", "4242\n")
	record("db", Record{PID: 4242, State: StateRunning})
	// failed: it ended on its own, with its last exit.
	record("batch", Record{PID: 4343, State: StateStopped, LastExit: "exit status 3", Failed: true, Command: []string{"sh", "-c", "exit 3"}})
	// stopped while its program was between restarts: the program's last exit, not failed.
	record("cycled", Record{PID: 4747, State: StateStopped, LastExit: "exited with status 1", Command: []string{"sh", "-c", "exit 1"}})
	// stopped gracefully, its record saying nothing more.
	record("idle", Record{PID: 4646, State: StateStopped})
	// crashed: its record says running, but nothing holds a pidfile.
	record("worker", Record{PID: 4444, State: StateRunning})
	// another user's record: listed, by name, without it.
	record("theirs", Record{PID: 4545, State: StateStopped})
	if err := os.Chown(path("theirs.json"), 65534, 65534); err != nil {
		t.Skipf("chown: %v (needs root)", err)
	}
	// a pidfile that is a directory cannot be told: listed as unknown, with why.
	if err := os.Mkdir(path("odd.pid"), 0o755); err != nil {
		t.Fatal(err)
	}
	write("odd.json", `{"name":"odd","pid":7,"state":"stopped"}`)
	// no instance: hidden, temporary, bad names, other suffixes, directories.
	write(".hidden.json", "{}")
	write(".web.json.tmp-123", "{}")
	write("bad name.pid", "1\n")
	write("notes.txt", "hello")
	write("web.log", "a line\n")
	write(".json", "{}")
	if err := os.Mkdir(path("sub.json"), 0o755); err != nil {
		t.Fatal(err)
	}

	entries, err := List(l)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		name, state string
		pid         int
		record      bool
		lastExit    string
	}
	var got []row
	for _, e := range entries {
		got = append(got, row{e.Paths.Name, e.State(), e.Status.PID(), e.Record != nil, e.LastExit()})
	}
	want := []row{
		{"api", StateStarting, d2.pid, false, ""},
		{"batch", StateFailed, 0, true, "exit status 3"},
		{"cron", StateStarting, d3.pid, false, ""},
		{"cycled", StateStopped, 0, true, "exited with status 1"},
		{"db", StateStale, 0, true, gone},
		{"idle", StateStopped, 0, true, "stopped"},
		{"odd", StateUnknown, 0, true, ""},
		{"theirs", StateDown, 0, false, ""}, // its record, another user's, alone tells a stop from a failure
		{"web", StateRunning, d.pid, true, ""},
		{"worker", StateFailed, 0, true, gone},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("List:\n got %v\nwant %v", got, want)
	}
	byName := map[string]Entry{}
	for _, e := range entries {
		byName[e.Paths.Name] = e
	}
	if e := byName["web"]; e.Paths.Log != "/var/log/web.log" || e.Paths.PIDFile != path("web.pid") || e.Paths.Record != path("web.json") || e.Status.Uptime >= time.Minute {
		t.Errorf("web: %+v: want the record's log, its files in the state directory, its process's uptime (not the record's minute)", e)
	}
	if e := byName["batch"]; e.Paths.Log != filepath.Join(dir, "logs", "batch.log") || !slices.Equal(e.Record.Command, []string{"sh", "-c", "exit 3"}) {
		t.Errorf("batch: %+v: want the layout's log and the recorded command", e)
	}
	if e := byName["odd"]; e.Err == nil {
		t.Errorf("odd: want Inspect's error, got none")
	}
	// List changes nothing: the stale pidfile and every record are still there.
	for _, f := range []string{"db.pid", "db.json", "worker.json", "theirs.json"} {
		if _, err := os.Lstat(path(f)); err != nil {
			t.Errorf("after List: %v", err)
		}
	}
}

// TestListEmpty: a missing or empty state directory holds no instance, and is no error.
func TestListEmpty(t *testing.T) {
	for _, dir := range []string{t.TempDir(), filepath.Join(t.TempDir(), "missing")} {
		entries, err := List(Layout{StateDir: dir})
		if err != nil || len(entries) != 0 {
			t.Errorf("List(%s) = %v, %v; want none, no error", dir, entries, err)
		}
	}
}

// TestListUnreadable: a state directory that cannot be read is an error, not an empty
// list.
func TestListUnreadable(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := List(Layout{StateDir: file}); err == nil {
		t.Fatal("List of a file: want an error")
	}
}

// TestListMany lists a thousand instances (records and stale pidfiles written directly)
// and checks that every one is there, once, in order. Its speed is BenchmarkList's
// business, not a timed assertion's.
func TestListMany(t *testing.T) {
	dir := t.TempDir()
	names := makeInstances(t, dir, 1000)
	entries, err := List(Layout{StateDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(names) {
		t.Fatalf("List: %d entries, want %d", len(entries), len(names))
	}
	for i, e := range entries {
		want := StateStopped
		if i%2 == 1 {
			want = StateStale
		}
		if e.Paths.Name != names[i] || e.State() != want || e.Record == nil {
			t.Fatalf("entry %d: %s %s (record %v), want %s %s with its record", i, e.Paths.Name, e.State(), e.Record != nil, names[i], want)
		}
	}
}

// BenchmarkList: the cost of listing grows linearly with the number of instances.
func BenchmarkList(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			dir := b.TempDir()
			makeInstances(b, dir, n)
			l := Layout{StateDir: dir}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				entries, err := List(l)
				if err != nil || len(entries) != n {
					b.Fatalf("List: %d entries, %v", len(entries), err)
				}
			}
		})
	}
}

// makeInstances writes n stopped instances into dir, every other one with a stale
// pidfile, and returns their names, sorted.
func makeInstances(t testing.TB, dir string, n int) []string {
	t.Helper()
	names := make([]string, n)
	for i := range n {
		name := fmt.Sprintf("svc-%05d", i)
		names[i] = name
		rec := Record{Name: name, PID: 100000 + i, State: StateStopped, LastExit: "stopped", Strategy: "reexec",
			StartedAt: time.Now(), StoppedAt: time.Now(), Command: []string{"sleep", "1000"}}
		if err := WriteRecord(filepath.Join(dir, name+".json"), rec); err != nil {
			t.Fatal(err)
		}
		if i%2 == 1 {
			if err := os.WriteFile(filepath.Join(dir, name+".pid"), fmt.Appendf(nil, "%d\n", rec.PID), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return names
}

// TestListRecordProblems: a record that cannot be read is a problem, of an instance that is
// not running (its record says how it last ran) and of a running one (its record says
// whether its program runs or waits to be restarted, and what it runs), as status notes it.
func TestListRecordProblems(t *testing.T) {
	dir := t.TempDir()
	l := Layout{StateDir: dir}
	run, _ := l.Resolve("run", "", "")
	startDaemon(t, graceful, run.PIDFile, false)
	if err := os.Mkdir(run.Record, 0o755); err != nil { // unreadable as a record
		t.Fatal(err)
	}
	down, _ := l.Resolve("down", "", "")
	if err := os.WriteFile(down.Record, []byte("not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	entries, err := List(l)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]error{}
	for _, e := range entries {
		got[e.Paths.Name] = e.RecordErr
	}
	if got["run"] == nil || got["down"] == nil {
		t.Fatalf("RecordErr: run %v, down %v; want the bad record for each", got["run"], got["down"])
	}
}

// TestEndedHow: a record that still says its run goes on tells a run gone without
// stopping, even where its supervised program's earlier exit is recorded (a supervisor
// killed while it waited to restart the program, or after it did): that exit was no end
// of the run. A start called off says how, and a stopped run says its last exit.
func TestEndedHow(t *testing.T) {
	cmd := []string{"sh", "-c", "exit 0"}
	for _, tc := range []struct {
		name string
		rec  Record
		want string
	}{
		{"killed while restarting", Record{State: StateRunning, Command: cmd, LastExit: "exited with status 0", RestartAt: time.Now()}, gone},
		{"killed after a restart", Record{State: StateRunning, Command: cmd, LastExit: "exited with status 0", ChildPID: 4242, Restarts: 1}, gone},
		{"killed while stopping", Record{State: StateStopping, Command: cmd, LastExit: "exited with status 0"}, gone},
		{"crashed", Record{State: StateRunning}, gone},
		{"start called off", Record{State: StateStopping, LastExit: StartCalledOff + "stopped by SIGKILL before it was ready"}, StartCalledOff + "stopped by SIGKILL before it was ready"},
		{"ended on its own", Record{State: StateStopped, Command: cmd, LastExit: "exited with status 3", Failed: true}, "exited with status 3"},
		{"stopped", Record{State: StateStopped}, "stopped"},
		{"empty", Record{}, ""},
	} {
		if got := EndedHow(tc.rec); got != tc.want {
			t.Errorf("%s: EndedHow = %q, want %q", tc.name, got, tc.want)
		}
	}
}
