package cli

import (
	"encoding/json"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/pidfile"
	"github.com/daemonkit/daemonkit/supervisor"
)

// TestReportUpgradeVersionSkew: a new copy of the built-in work that could not read its
// request is another build than its supervisor's (as an older daemonkit says it: a real
// one's line below). upgrade says so, names the binary on disk and the supervisor's
// build, and what to do, rather than "bad request" alone; another failure gets no such
// advice, even where its own log line says "bad request".
func TestReportUpgradeVersionSkew(t *testing.T) {
	dir := t.TempDir()
	paths := instance.Paths{Name: "web", PIDFile: filepath.Join(dir, "web.pid"), Record: filepath.Join(dir, "web.json")}
	rec := instance.Record{Name: "web", Program: "daemonkit", Build: "v1.3.0", Request: json.RawMessage(`{"exe":"/usr/bin/daemonkit"}`)}
	if err := instance.WriteRecord(paths.Record, rec); err != nil {
		t.Fatal(err)
	}
	app := &App{Config: Config{Name: "daemonkit"}.withDefaults(), Globals: &Globals{StateDir: dir}, Stdout: io.Discard}
	failed := supervisor.UpgradeResult{Error: "the program exited with status 2 before it was ready", PID: 42}

	for _, line := range []string{
		"/usr/bin/daemonkit: _daemon: bad request: invalid character 'w' looking for beginning of value",
		"/usr/bin/daemonkit: _workload: bad request in $DAEMONKIT_REQUEST: json: cannot unmarshal string into Go struct field request.umask of type int",
		"/usr/bin/daemonkit: _workload: no request in $DAEMONKIT_REQUEST: started by hand? use start -d",
	} {
		res := failed
		res.LogTail = []string{line}
		err := reportUpgrade(app, paths, res)
		if err == nil {
			t.Fatalf("reportUpgrade of a failed upgrade = nil")
		}
		for _, want := range []string{
			"the old copy (pid 42) serves on",
			"\n/usr/bin/daemonkit could not read the request of web's supervisor: it is another build of daemonkit than the one the supervisor runs (v1.3.0), older or newer (version skew)",
			"Put the supervisor's build back at /usr/bin/daemonkit and upgrade again, or run 'daemonkit restart --state-dir " + dir + " --name web'",
		} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("for %q, the error\n%v\nsays not %q", line, err, want)
			}
		}
	}

	res := failed
	for _, own := range []string{"fail: cannot start: no config", "handler: bad request from 10.0.0.1", "app: no request in $DAEMONKIT_REQUEST"} {
		res.LogTail = []string{own}
		if err := reportUpgrade(app, paths, res); err == nil || strings.Contains(err.Error(), "version skew") {
			t.Errorf("a copy that failed for its own reason (%q): %v", own, err)
		}
	}
}

// TestUndialedStoppedMeanwhile: an instance that upgrade found running, but whose control
// socket it then could not dial because the instance stopped meanwhile (a stop, a crash),
// is told as stopped, with the restart that starts it again, not as a dial's error.
func TestUndialedStoppedMeanwhile(t *testing.T) {
	dir := t.TempDir()
	paths := instance.Paths{Name: "web", PIDFile: filepath.Join(dir, "web.pid"), Record: filepath.Join(dir, "web.json")}
	app := &App{Config: Config{Name: "daemonkit"}.withDefaults(), Globals: &Globals{StateDir: dir}, Stdout: io.Discard}
	seen := instance.Status{Paths: paths, Pidfile: pidfile.Status{State: pidfile.Running, PID: 4242},
		Record: &instance.Record{PID: 4242, Control: filepath.Join(dir, "web.ctl")}}
	_, dialErr := net.Dial("unix", seen.Record.Control)
	err := undialed(app, paths, seen, dialErr)
	want := "web stopped meanwhile (its supervisor was pid 4242): there is no copy to hand over from; start it as it was with 'daemonkit restart --state-dir " + dir + " --name web'"
	if err == nil || err.Error() != want {
		t.Errorf("undialed = %v\nwant %s", err, want)
	}
}
