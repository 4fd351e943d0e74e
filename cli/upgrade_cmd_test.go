package cli

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/pidfile"
	"github.com/daemonkit/daemonkit/supervisor"
)

// TestReportUpgradeVersionSkew: a new copy of the built-in work that could not read its
// request is another build than its supervisor's (as an older daemonkit says it: a real
// one's line below). upgrade says so, names this binary (which the new copy ran), the
// supervisor's build and where it was started from, and what to do, rather than "bad
// request" alone; another failure gets no such
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
	self := currentExecutable()

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
			"\n" + self + " could not read the request of web's supervisor: it is another build of daemonkit than the one the supervisor runs (v1.3.0), older or newer (version skew)",
			"Upgrade again with the supervisor's build (it was started from /usr/bin/daemonkit), or run 'daemonkit restart --state-dir " + dir + " --name web'",
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

// TestUpgradeRefusesForeignControlSocket: a process that is not the instance's supervisor,
// listening at its control socket's path (another user's, once the supervisor's socket was
// deleted from a state directory in /tmp), is sent nothing, not even the new command line,
// and its answer (a forged success) is not believed: upgrade fails and says whose it is.
func TestUpgradeRefusesForeignControlSocket(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the server's credentials are read on Linux only")
	}
	dir := t.TempDir()
	paths := instance.Paths{Name: "web", PIDFile: filepath.Join(dir, "web.pid"), Record: filepath.Join(dir, "web.json"), Log: filepath.Join(dir, "web.log")}
	held, err := pidfile.Acquire(paths.PIDFile) // this process stands for the supervisor
	if err != nil {
		t.Fatal(err)
	}
	defer held.Release()
	ctl := filepath.Join(dir, "web.ctl")
	if err := instance.WriteRecord(paths.Record, instance.Record{Name: "web", PID: os.Getpid(), Control: ctl}); err != nil {
		t.Fatal(err)
	}
	fake := exec.Command(os.Args[0], "-test.run=^$")
	fake.Env = append(os.Environ(), "CLI_TEST_FAKE_CONTROL="+ctl)
	if err := fake.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = fake.Process.Kill(); _ = fake.Wait() }()
	for deadline := time.Now().Add(10 * time.Second); ; {
		if c, err := net.Dial("unix", ctl); err == nil {
			c.Close() // sends nothing: the fake keeps an empty line
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the fake control socket never listened")
		}
		time.Sleep(10 * time.Millisecond)
	}
	app := &App{Config: Config{Name: "daemonkit"}.withDefaults(), Globals: &Globals{StateDir: dir}, Stdout: io.Discard}
	res, err := upgrade(app, paths, []string{"/usr/bin/web", "--token=s3cret"}, 5*time.Second)
	if !errors.Is(err, supervisor.ErrControlPeer) || res.OK {
		t.Errorf("upgrade through another process's socket = %+v, %v; want ErrControlPeer", res, err)
	}
	if got, _ := os.ReadFile(ctl + ".got"); strings.Contains(string(got), "s3cret") {
		t.Errorf("the other process was sent %q", got)
	}
}

// TestBuiltinWorkCommand: an upgrade of the built-in work sends the binary that runs it,
// but only for an instance this program started (another program's binary would take
// over its sockets with its own work, and be told "upgraded"), and only by a path JSON
// keeps as it is.
func TestBuiltinWorkCommand(t *testing.T) {
	app := &App{Config: Config{Name: "daemonkit"}.withDefaults()}
	got, err := builtinWorkCommand(app, instance.Record{Program: "daemonkit"}, "web", "/srv/rel/v2/daemonkit")
	if err != nil || strings.Join(got, " ") != "/srv/rel/v2/daemonkit _workload web" {
		t.Errorf("own instance: %q, %v", got, err)
	}
	var exit *exitError
	_, err = builtinWorkCommand(app, instance.Record{Program: "ticker"}, "web", "/srv/rel/v2/daemonkit")
	if want := `upgrade web: it runs the built-in work of "ticker", not of daemonkit, and the new copy would run this binary: upgrade it with that program`; !errors.As(err, &exit) || err.Error() != want || exit.ExitCode() != exitFailed {
		t.Errorf("another program's instance: %v\nwant %s (exit %d)", err, want, exitFailed)
	}
	_, err = builtinWorkCommand(app, instance.Record{Program: "daemonkit"}, "web", "/srv/rel\xff/daemonkit")
	if !errors.As(err, &exit) || !strings.Contains(err.Error(), "not UTF-8") || exit.ExitCode() != exitUsage {
		t.Errorf("a path not in UTF-8: %v", err)
	}
}
