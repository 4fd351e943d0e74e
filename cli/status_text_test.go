package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/pidfile"
)

// statusText is what status prints of r.
func statusText(r statusReport) string {
	var b strings.Builder
	r.writeText(&b)
	return b.String()
}

// TestStatusProgramWithoutCopy: a running supervisor none of whose copies runs (the old
// copy died while an upgrade's new one started) shows its program without a copy, not
// "(pid 0)".
func TestStatusProgramWithoutCopy(t *testing.T) {
	r := statusReport{Name: "web", State: "running", PID: 42, Command: []string{"/srv/web", "--port", "80"}}
	if got := statusText(r); !strings.Contains(got, "program: /srv/web --port 80 (no copy of it runs now)") || strings.Contains(got, "pid 0") {
		t.Errorf("status of a supervisor with no copy:\n%s", got)
	}
	r.ChildPID = 43
	if got := statusText(r); !strings.Contains(got, "program: /srv/web --port 80 (pid 43)") {
		t.Errorf("status of a supervisor with a copy:\n%s", got)
	}
	r.State = "stopping" // its program drains too, and still runs
	if got := statusText(r); !strings.Contains(got, "program: /srv/web --port 80 (pid 43)") {
		t.Errorf("status of a stopping supervisor with a copy:\n%s", got)
	}
}

// TestStatusProgramUptime: a program restarted or upgraded since its supervisor started
// shows its own uptime beside its pid; its first copy does not repeat its supervisor's,
// even where it started more than a second after it (a large command line, under load).
func TestStatusProgramUptime(t *testing.T) {
	r := statusReport{Name: "web", State: "running", PID: 42, Command: []string{"web"}, ChildPID: 43,
		UptimeSeconds: 600, ChildUptimeSeconds: 4.5, Restarts: 1}
	if got := statusText(r); !strings.Contains(got, "program: web (pid 43, up 4s)") {
		t.Errorf("status of a restarted program:\n%s", got)
	}
	r.Restarts, r.Copies = 0, []instance.Copy{{PID: 43, Generation: 2, State: "ready"}}
	if got := statusText(r); !strings.Contains(got, "program: web (pid 43, up 4s)") {
		t.Errorf("status of an upgraded program:\n%s", got)
	}
	r.ChildUptimeSeconds = 0.04 // right after the upgrade: no "0s", which reads as stuck
	if got := statusText(r); !strings.Contains(got, "program: web (pid 43, up <1s)") {
		t.Errorf("status of a program upgraded 40ms ago:\n%s", got)
	}
	r.UptimeSeconds, r.StartedAt = 0.3, time.Now() // a supervisor started a moment ago
	if got := statusText(r); !strings.Contains(got, "(pid 42, up <1s)") {
		t.Errorf("status of a supervisor started 300ms ago:\n%s", got)
	}
	r.Copies = []instance.Copy{{PID: 43, Generation: 1, State: "ready"}}
	r.UptimeSeconds, r.ChildUptimeSeconds = 2.3, 1.2
	if got := statusText(r); !strings.Contains(got, "program: web (pid 43)\n") {
		t.Errorf("status of a first copy that started 1.1s after its supervisor:\n%s", got)
	}
}

// TestStatusLogNotes: the log lines dropped and the log's problem are said beside the log
// in every state that has a log, as --json has them, not only while it runs; of an instance
// that is not running, as its last run's.
func TestStatusLogNotes(t *testing.T) {
	const problem = "could not reopen it at 12:00 (SIGUSR1): open log: it is a directory; still writing to the file it had"
	for _, state := range []string{"running", "stopping", "restarting", "stale", "not running"} {
		r := statusReport{Name: "web", State: state, PID: 42, Log: "/var/log/web.log", LogProblem: problem, DroppedLines: 7}
		got := statusText(r)
		last := ""
		if state == "stale" || state == "not running" {
			last = "in its last run: "
		}
		if !strings.Contains(got, "  log:     /var/log/web.log ("+last+problem+")\n") {
			t.Errorf("%s: want the log problem beside the log:\n%s", state, got)
		}
		if !strings.Contains(got, "  dropped: 7 log lines could not be written") {
			t.Errorf("%s: want the dropped lines:\n%s", state, got)
		}
	}
}

// TestNoteBuild: status says a daemon runs another build only when it can tell: the same
// program, and not a bare "dev" (go run, -buildvcs=false), which says nothing of its
// source, against another build without a release version; a record of a build before
// builds were recorded ("") is older.
func TestNoteBuild(t *testing.T) {
	for _, c := range []struct {
		recorded, this string
		same, differs  bool
	}{
		{"v1.2.0", "v1.3.0", true, true},
		{"v1.3.0", "v1.3.0", true, false},
		{"", "v1.3.0", true, true},
		{"dev", "dev (revision 58229afff8b3)", true, false},
		{"dev (revision 58229afff8b3)", "dev", true, false},
		{"dev (revision 58229afff8b3)", "dev (revision 38f773cbfeb2)", true, true},
		{"dev (revision 58229afff8b3)", "dev", false, false},
		{"v2.0.0", "v1.3.0", false, false},
		{"v0.9.0", "dev", true, true},
	} {
		var r statusReport
		r.noteBuild(c.recorded, c.this, c.same)
		if r.BuildDiffers != c.differs {
			t.Errorf("noteBuild(%q, %q, same program %v): differs %v, want %v", c.recorded, c.this, c.same, r.BuildDiffers, c.differs)
		}
	}
}

// TestStatusOldRecordReady: a record an older daemonkit wrote has no "ready" field; the
// check its request holds (supervise's Ready) says, as the field would, that the address
// of a program ready by --ready tcp: is one a check reached ("answers:"), not one it is
// known to listen on.
func TestStatusOldRecordReady(t *testing.T) {
	const old = `{"name": "web", "pid": %d, "strategy": "reexec", "started_at": "2026-11-27T10:00:00Z",
		"listen": "127.0.0.1:8080", "log": "/tmp/web.log", "pidfile": "/tmp/web.pid", "program": "daemonkit",
		"request": {"program": "daemonkit", "name": "web", "supervise": {"Ready": "tcp:127.0.0.1:8080", "command": ["web"]}}}`
	var rec instance.Record
	if err := json.Unmarshal([]byte(fmt.Sprintf(old, os.Getpid())), &rec); err != nil {
		t.Fatal(err)
	}
	var r statusReport
	r.fill(instance.Status{Pidfile: pidfile.Status{State: pidfile.Running, PID: os.Getpid()}, Record: &rec})
	if got := statusText(r); !strings.Contains(got, "answers: 127.0.0.1:8080") || strings.Contains(got, "listen:") {
		t.Errorf("status of an old record of a --ready tcp: program:\n%s", got)
	}
	if r.Ready != "tcp:127.0.0.1:8080" {
		t.Errorf("ready = %q, want the request's", r.Ready)
	}
}

// TestStatusStartingEmptyPidfile: status of an instance that is starting notes no problem
// for its pidfile being empty, as it is for an instant between its creation and the write
// of its pid; an empty pidfile that nothing starts is still noted.
func TestStatusStartingEmptyPidfile(t *testing.T) {
	_, empty := pidfile.ParsePID(nil)
	var r statusReport
	if code := r.fill(instance.Status{Starting: true, StartPID: 4100, Pidfile: pidfile.Status{State: pidfile.Stale, ContentErr: empty}}); r.State != "starting" || code != exitNotRunning || r.Problem != "" {
		t.Errorf("starting, its pidfile empty: state %q, exit %d, problem %q: want starting, 3, no problem", r.State, code, r.Problem)
	}
	r = statusReport{}
	if r.fill(instance.Status{Pidfile: pidfile.Status{State: pidfile.Stale, ContentErr: empty}}); r.Problem == "" {
		t.Error("stale and empty: no problem noted")
	}
}

// TestGoRunBuild: the binaries go run runs, its temporary build and its build cache's
// copy, are told from others.
func TestGoRunBuild(t *testing.T) {
	for path, want := range map[string]bool{
		"/tmp/go-build2358150023/b001/exe/app": true,
		"/var/tmp/go-build1/b012/exe/my-app":   true,
		"/root/.cache/go-build/55/554ce0575325f93fb5a322e176c2e35a7c64b384c5a4f80528d5bd4d797e0fde-d/app": true,
		"/root/.cache/go-build/56/554ce0575325f93fb5a322e176c2e35a7c64b384c5a4f80528d5bd4d797e0fde-d/app": false,
		"/tmp/go-build/b001/exe/app":  false,
		"/tmp/go-buildX/b001/exe/app": false,
		"/tmp/go-build1/bin/exe/app":  false,
		"/tmp/go-build1/b001/app":     false,
		"/usr/local/bin/app":          false,
		"/home/me/src/app/exe/app":    false,
		"app":                         false,
	} {
		if got := goRunBuild(path); got != want {
			t.Errorf("goRunBuild(%s) = %v, want %v", path, got, want)
		}
	}
}
